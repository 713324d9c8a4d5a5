#!/usr/bin/env bash
# Runs README.md's "Five-minute walkthrough" as written, so it stays true:
# the shell block is extracted and run with the built binary, free loopback
# ports instead of 8443/9901 and a scratch directory instead of /tmp/fw (the
# bootstrap/build line is skipped: CTest has built the binary). Passes when
# the allowed write and read succeed, the delete is refused with 403 by
# analytics-never-writes, and the access line shows it never went upstream.
# Everything it starts (firewarden, the emulator) is stopped by PID on exit.
# Usage: readme_walkthrough_test.sh FIREWARDEN_BINARY SCRATCH_DIR   (from the repo root)
set -euo pipefail
binary=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
data_port=$(free_port)
admin_port=$(free_port)

script=$scratch/walkthrough.sh
{
  # Background jobs (firewarden) and the emulator are stopped however the
  # walkthrough ends.
  echo "trap 'kill \$(jobs -p) 2>/dev/null || true; scripts/emulator stop $scratch/fw/emulator >/dev/null 2>&1 || true' EXIT"
  awk '/^## Five-minute walkthrough/ {inside = 1}
       inside && /^```sh/ {block = 1; next}
       block && /^```/ {exit}
       block' README.md |
    grep -v '^scripts/bootstrap' |
    sed -e "s|build/firewarden|$binary|g" -e "s|/tmp/fw|$scratch/fw|g" \
        -e "s|8443|$data_port|g" -e "s|9901|$admin_port|g"
} >"$script"
if [[ $(wc -l <"$script") -lt 20 ]]; then
  echo "README walkthrough block not found"; exit 1
fi

output=$(timeout 120 bash -euo pipefail "$script" 2>&1) || {
  echo "$output"; echo "the walkthrough failed as written"; exit 1; }
echo "$output"

fail() { echo "FAILED: $*"; exit 1; }
grep -q '"integerValue": "42"' <<<"$output" || fail "the allowed write/read did not return the order"
grep -q 'may not delete in collection orders (denied by rule analytics-never-writes)' <<<"$output" ||
  fail "the delete was not refused by analytics-never-writes"
grep -q 'firewarden_requests_total{method="delete",decision="deny",code="403",protocol="rest"} 1' <<<"$output" ||
  fail "the denial is not counted"
last_access=$(tail -1 "$scratch/fw/access.log")
grep -q '"decision":"deny"' <<<"$last_access" && grep -q '"upstream_status":null' <<<"$last_access" ||
  fail "the denied delete reached upstream: $last_access"
echo "README walkthrough: allowed write and read, denied delete never forwarded"

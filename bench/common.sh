# Shell helpers shared by bench/run, bench/shared and bench/grpc (sourced,
# never run). Each script sets `bench_name` (its log prefix) and `run` (its
# run directory) before calling them.

log() { printf '[%s %s] %s\n' "${bench_name:-bench}" "$(date -u +%H:%M:%S)" "$*" >&2; }

# install_missing COMMAND=PACKAGE...: apt-get installs the packages whose
# command is not on PATH.
install_missing() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  local apt_get=(apt-get)
  [[ $(id -u) != 0 ]] && apt_get=(sudo apt-get)
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# build_release BUILD_DIR TARGET...: Release with -O2 (as Debian builds nginx
# and HAProxy) and -g (for callgrind); warnings are errors as in every build.
build_release() {
  local build=$1 targets=()
  shift
  for target in "$@"; do targets+=(--target "$target"); done
  log "building $* in $build"
  FIREWARDEN_BUILD_DIR=$build scripts/build -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -g -DNDEBUG" -DFIREWARDEN_WERROR=ON "${targets[@]}" >/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Every process a script starts goes into `pids`; they are stopped on exit.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # wait_port PORT PID: until PORT accepts (10 s at most) or PID exits
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { log "process $2 exited"; return 1; }
    sleep 0.1
  done
  return 1
}

cpu_ticks() {  # "USER SYSTEM": clock ticks of the given processes
  local user=0 system=0 pid fields
  for pid in "$@"; do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat")
    set -- $fields
    user=$((user + ${12}))
    system=$((system + ${13}))
  done
  echo "$user $system"
}

memory_kib() {  # memory_kib FIELD PIDS...: sum of VmHWM or VmRSS
  local field=$1 total=0 pid value
  shift
  for pid in "$@"; do
    value=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/status")
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

machine_line() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load at end $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
}

# write_rest_upstream CONF PORT [TLS_PORT]: nginx as the static REST
# upstream (one worker). Firestore answers POSTs; nginx's static module
# refuses them (405), so every route turns into an internal redirect to its
# fixed file under $run/static (bench/make_fixtures.py).
write_rest_upstream() {
  local conf=$1 port=$2 tls_port=${3:-} tls_listen=""
  [[ -n $tls_port ]] && tls_listen="listen 127.0.0.1:$tls_port ssl backlog=4096;
    ssl_certificate $run/certs/server.pem;
    ssl_certificate_key $run/certs/server.key;"
  cat >"$conf" <<NGINX
worker_processes 1;
daemon off;
master_process off;
pid $run/tmp/upstream.pid;
error_log $run/logs/upstream-error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $run/tmp/ub; proxy_temp_path $run/tmp/up;
  fastcgi_temp_path $run/tmp/uf; uwsgi_temp_path $run/tmp/uu; scgi_temp_path $run/tmp/us;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port backlog=4096;
    $tls_listen
    location ~ :commit\$   { error_page 405 =200 /_static/commit.json; return 405; }
    location ~ :runQuery\$ { error_page 405 =200 /_static/runquery.json; return 405; }
    location /v1/          { error_page 405 =200 /_static/doc.json; return 405; }
    location /_static/     { internal; alias $run/static/; }
  }
}
NGINX
}

#!/usr/bin/env python3
"""Checks docker/Dockerfile against the built binary, without a Docker engine.

- The runtime (last) stage is debian:12-slim and installs exactly the Debian
  packages that own the shared libraries the binary loads (`ldd`, then
  `dpkg -S` on each resolved library), less those debian:12-slim already
  ships, plus the non-library packages listed below (the CA store).
- The build stage is Debian 12 and runs scripts/bootstrap and scripts/build.
- Non-root numeric USER, ENTRYPOINT ["firewarden", "run"], no HEALTHCHECK.

Usage: check_dockerfile.py DOCKERFILE BINARY
Exit 0 when every check passes, 1 with one line per failure otherwise.
"""
import json
import re
import subprocess
import sys

# In debian:12-slim already: every "Priority: required" package and apt with
# its dependencies. Of the libraries a C++ program loads, that is the C
# library (libc.so.6, libm.so.6, ld-linux), libgcc_s and libstdc++ (apt
# depends on libstdc++6). Anything else the binary loads must be installed.
IN_SLIM = {"libc6", "libgcc-s1", "libstdc++6"}
# Runtimes of sanitizer builds (-DFIREWARDEN_SANITIZE): never in the image,
# which is a Release build.
SANITIZER_RUNTIMES = {"libasan8", "libubsan1", "liblsan0", "libtsan2"}
# Installed on purpose although no library of the binary is in them.
NOT_LIBRARIES = {"ca-certificates"}


def logical_lines(text):
    """Dockerfile instructions with continuations joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return lines


def stages(lines):
    result = []
    for line in lines:
        instruction = line.split(None, 1)[0].upper()
        if instruction == "FROM":
            result.append({"from": line.split()[1], "lines": []})
        elif result:
            result[-1]["lines"].append((instruction, line.split(None, 1)[1] if " " in line else ""))
    return result


def apt_packages(run_lines):
    packages = set()
    for command in run_lines:
        for part in re.split(r"&&|;", command):
            words = part.split()
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages |= {w for w in after if not w.startswith("-")}
    return packages


def library_packages(binary):
    output = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    packages = {}
    for line in output.splitlines():
        match = re.search(r"=>\s+(\S+)\s+\(", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if not match:
            continue  # linux-vdso: not a file
        library = match.group(1)
        real = subprocess.run(["readlink", "-f", library], capture_output=True,
                              text=True).stdout.strip()
        owner = None
        for candidate in (real, library):
            found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if found.returncode == 0:
                owner = found.stdout.split(":", 1)[0].strip()
                break
        packages[library] = owner
    return packages


def main():
    dockerfile, binary = sys.argv[1], sys.argv[2]
    failures = []
    with open(dockerfile) as f:
        parsed = stages(logical_lines(f.read()))
    if len(parsed) < 2:
        print(f"{dockerfile}: expected a build stage and a runtime stage")
        return 1
    build, runtime = parsed[0], parsed[-1]

    if not re.fullmatch(r"debian:(12|bookworm)(@.*)?", build["from"]):
        failures.append(f"build stage is {build['from']}, not Debian 12 (bookworm)")
    build_runs = " ".join(text for instruction, text in build["lines"] if instruction == "RUN")
    for script in ("scripts/bootstrap", "scripts/build"):
        if script not in build_runs:
            failures.append(f"build stage does not run {script}")
    if not re.fullmatch(r"debian:(12|bookworm)-slim(@.*)?", runtime["from"]):
        failures.append(f"runtime stage is {runtime['from']}, not debian:12-slim")

    installed = apt_packages(text for instruction, text in runtime["lines"] if instruction == "RUN")
    owners = library_packages(binary)
    for library, owner in owners.items():
        if owner is None:
            failures.append(f"{library}: no Debian package owns it (built against a local library?)")
    needed = {owner for owner in owners.values() if owner} - IN_SLIM - SANITIZER_RUNTIMES
    for package in sorted(needed - installed):
        libraries = ", ".join(sorted(l for l, o in owners.items() if o == package))
        failures.append(f"runtime stage lacks {package} (for {libraries})")
    for package in sorted(installed - needed - NOT_LIBRARIES):
        failures.append(f"runtime stage installs {package}, which the binary does not load")

    instructions = {instruction for stage in parsed[1:] for instruction, _ in stage["lines"]}
    if "HEALTHCHECK" in instructions:
        failures.append("HEALTHCHECK in the image (Kubernetes probes /healthz and /readyz)")
    users = [text for instruction, text in runtime["lines"] if instruction == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1].strip()):
        failures.append("runtime stage must end as a numeric non-root USER")
    entrypoints = [text for instruction, text in runtime["lines"] if instruction == "ENTRYPOINT"]
    try:
        entrypoint = json.loads(entrypoints[-1]) if entrypoints else None
    except json.JSONDecodeError:
        entrypoint = None
    if entrypoint != ["firewarden", "run"]:
        failures.append('ENTRYPOINT must be ["firewarden", "run"]')

    for failure in failures:
        print(f"{dockerfile}: {failure}")
    print(f"{dockerfile}: runtime packages {sorted(installed)}; binary needs "
          f"{sorted(needed)} beyond debian:12-slim; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Policy hot reload the way Kubernetes updates a ConfigMap volume.

The kubelet's atomic writer lays a ConfigMap out as
    policy.yaml -> ..data/policy.yaml,  ..data -> ..2026_01_01_00_00_00.1
and updates it by writing a new timestamped directory, pointing a temporary
symlink at it and renaming that over ..data, then deleting the old directory.
This test lays the policy out the same way, runs the real binary (fixed
identity, static token, an upstream port that refuses connections) and checks,
through the data listener and the admin endpoints, that:
  1. the first policy denies the request (403, never forwarded);
  2. after a swap to a policy that allows it, the request is forwarded
     (502: the upstream refuses the connection) — the new policy is in force;
  3. after a swap to an invalid policy, the last good policy stays in force,
     the failure is counted and reported, and readiness stays 200;
  4. SIGTERM stops the daemon with status 0.
Every wait is bounded; only the process started here is stopped, by PID.

Usage: configmap_reload_test.py FIREWARDEN_BINARY SCRATCH_DIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

def policy(rule, collection, actions_key="actions"):
    return (f"version: 1\nrules:\n  - name: {rule}\n"
            f"    subjects: {{namespaces: [\"orders\"]}}\n"
            f"    collections: [\"{collection}\"]\n"
            f"    {actions_key}: [read]\n")


DENY = policy("orders-read-only", "customers")  # nothing for orders: default deny
ALLOW = policy("orders-own-orders", "orders/**")
INVALID = policy("typo", "orders/**", actions_key="actionz")  # line 3: actions missing


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loopback only: never through an http_proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url, timeout=5):
    """(status, body); status 0 when nothing answers (yet)."""
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError) as error:
        return 0, str(error)


class AtomicWriter:
    """The kubelet's ConfigMap layout and update sequence."""

    def __init__(self, directory):
        self.directory = directory
        self.generation = 0
        os.makedirs(directory, exist_ok=True)

    def write(self, files):
        self.generation += 1
        stamp = f"..2026_01_01_00_00_{self.generation:02d}.{os.getpid()}"
        os.makedirs(os.path.join(self.directory, stamp))
        for name, text in files.items():
            with open(os.path.join(self.directory, stamp, name), "w") as out:
                out.write(text)
        data = os.path.join(self.directory, "..data")
        old = os.readlink(data) if os.path.islink(data) else None
        tmp = os.path.join(self.directory, "..data_tmp")
        os.symlink(stamp, tmp)
        os.rename(tmp, data)
        for name in files:
            link = os.path.join(self.directory, name)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", name), link)
        if old:
            shutil.rmtree(os.path.join(self.directory, old))


def eventually(what, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    policy_dir = os.path.join(scratch, "policy")
    writer = AtomicWriter(policy_dir)
    writer.write({"policy.yaml": DENY})

    # An upstream port that refuses connections: bound, never listening.
    refuser = socket.socket()
    refuser.bind(("127.0.0.1", 0))
    upstream_port = refuser.getsockname()[1]
    data_port, admin_port = free_port(), free_port()
    config = os.path.join(scratch, "firewarden.yaml")
    with open(config, "w") as out:
        out.write(f"""listener:
  address: "127.0.0.1:{data_port}"
identity:
  mode: fixed
  trust_domains: ["cluster.local"]
  fixed_id: "spiffe://cluster.local/ns/orders/sa/orders-api"
policy:
  file: {policy_dir}/policy.yaml
reload_interval: 100ms
firestore:
  endpoint: "http://127.0.0.1:{upstream_port}"
  project: demo-project
  connect_timeout: 2s
credentials:
  type: static
  token: owner
admin:
  address: "127.0.0.1:{admin_port}"
logging:
  access_log: false
""")
    log = open(os.path.join(scratch, "firewarden.log"), "w")
    process = subprocess.Popen([binary, "run", "--config", config], stdout=log, stderr=log)
    admin = f"http://127.0.0.1:{admin_port}"
    document = (f"http://127.0.0.1:{data_port}/v1/projects/demo-project/databases/(default)"
                "/documents/orders/o1")
    try:
        eventually("readiness", lambda: process.poll() is None and http(admin + "/readyz")[0] == 200)

        status, body = http(document)
        assert status == 403 and "PERMISSION_DENIED" in body, (status, body)

        writer.write({"policy.yaml": ALLOW})
        eventually("generation 2",
                   lambda: json.loads(http(admin + "/status")[1])["policy"]["generation"] == 2)
        status, body = http(document)
        assert status == 502 and "UNAVAILABLE" in body, ("forwarded after reload", status, body)

        writer.write({"policy.yaml": INVALID})
        policy = eventually("the refused reload",
                            lambda: (lambda p: p if p["last_error"] else None)(
                                json.loads(http(admin + "/status")[1])["policy"]))
        assert policy["generation"] == 2, policy
        assert "policy.yaml:3:5: rules[0]" in policy["last_error"], policy
        assert http(admin + "/readyz")[0] == 200
        metrics = http(admin + "/metrics")[1]
        assert 'firewarden_policy_reloads_total{result="failure"}' in metrics, metrics
        status, body = http(document)
        assert status == 502, ("last good policy still in force", status, body)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.flush()
        with open(os.path.join(scratch, "firewarden.log")) as f:
            sys.stderr.write(f.read()[-4000:])
        raise
    finally:
        refuser.close()
    print("configmap-style reload: deny -> allow -> invalid kept last good; stopped with 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())

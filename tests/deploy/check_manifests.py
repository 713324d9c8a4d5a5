#!/usr/bin/env python3
"""Checks a rendered firewarden Kustomize overlay (deploy/overlays/NAME).

Renders the overlay with `kubectl kustomize` and asserts on the objects what
docs/operations.md promises an operator: hardened pods (non-root, read-only
root filesystem, no capabilities, no privilege escalation, seccomp
RuntimeDefault, no Kubernetes API token), probes on the admin port's /livez,
/startup and /readyz (admin.readiness_requires_token false in a sidecar, true
in a gateway), a termination grace period that covers the config's
shutdown_delay + shutdown_grace (and in the istio overlay, Envoy's drain
outlasting it), resource requests, scrape annotations, a
NetworkPolicy (with egress to the metadata server 169.254.169.254:80 when
the config uses metadata credentials), and per mode: native sidecar on loopback (sidecar), Service,
HPA and PodDisruptionBudget (gateway), PeerAuthentication STRICT and an
AuthorizationPolicy admitting only mesh identities (istio).

The embedded firewarden config is then checked by the real binary: the pod's
volumes are laid out under a scratch root (ConfigMaps with their rendered
data, the projected token as a placeholder, Secrets and emptyDirs with
development certificates where the config names files in them), every path
in the config text is prefixed with that root, and `firewarden check` must accept
it with the container's environment.

Usage: check_manifests.py --expect MODE [--spiffe] --kubectl K --firewarden F
                          --dev-certs SCRIPT --scratch DIR OVERLAY_DIR
Exit 0 when every check passes, 1 with one line per failure otherwise.
Needs PyYAML (Debian python3-yaml).
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

failures = []


def fail(message):
    failures.append(message)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


def parse_duration(text, default):
    """SPEC §2 durations: a whole number and ms, s, m or h."""
    if text is None:
        text = default
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    value, unit = int(match.group(1)), match.group(2)
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def parse_memory(quantity):
    """Kubernetes memory quantity in bytes."""
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|M|G)?", str(quantity))
    if not match:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    factor = {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3,
              "k": 1000, "M": 1000**2, "G": 1000**3}[match.group(2)]
    return int(match.group(1)) * factor


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def host_of(address):
    return address.rsplit(":", 1)[0].strip("[]")


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Rendered:
    def __init__(self, documents):
        self.objects = [d for d in documents if d]

    def of_kind(self, kind):
        return [o for o in self.objects if o.get("kind") == kind]

    def named(self, kind, name):
        for o in self.of_kind(kind):
            if o["metadata"]["name"] == name:
                return o
        return None


def workloads(rendered):
    """(workload object, pod template, firewarden container, is_init)."""
    found = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in rendered.of_kind(kind):
            pod = workload["spec"]["template"]
            spec = pod["spec"]
            for is_init, key in ((False, "containers"), (True, "initContainers")):
                for container in spec.get(key, []):
                    if container["name"] == "firewarden":
                        found.append((workload, pod, container, is_init))
    return found


def resolve_port(container, port):
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return declared["containerPort"]
    fail(f"{container['name']}: probe port {port!r} is not a declared port")
    return None


def check_container_hardening(where, container, pod_security):
    security = container.get("securityContext", {})
    check(security.get("allowPrivilegeEscalation") is False,
          f"{where}: allowPrivilegeEscalation must be false")
    check(security.get("readOnlyRootFilesystem") is True,
          f"{where}: readOnlyRootFilesystem must be true")
    check("ALL" in security.get("capabilities", {}).get("drop", []),
          f"{where}: capabilities must drop ALL")
    check(not security.get("capabilities", {}).get("add"),
          f"{where}: must add no capabilities")
    check(security.get("privileged") in (None, False), f"{where}: must not be privileged")
    non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
    check(non_root is True, f"{where}: runAsNonRoot must be true")
    check(security.get("runAsUser", pod_security.get("runAsUser", 1)) != 0,
          f"{where}: must not run as user 0")
    seccomp = security.get("seccompProfile", pod_security.get("seccompProfile", {}))
    check(seccomp.get("type") == "RuntimeDefault", f"{where}: seccompProfile must be RuntimeDefault")


def config_map_files(rendered, volume_source, namespace):
    """{relative path: text} of a configMap volume (or projection)."""
    name = volume_source["name"]
    config_map = rendered.named("ConfigMap", name)
    if not check(config_map is not None, f"ConfigMap {name} is mounted but not in the overlay"):
        return {}
    data = config_map.get("data", {})
    items = volume_source.get("items")
    if items:
        return {item["path"]: data[item["key"]] for item in items if item["key"] in data}
    return dict(data)


def mount_table(container, pod_spec):
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    table = []
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        if not check(volume is not None, f"volumeMount {mount['name']} has no volume"):
            continue
        check("subPath" not in mount,
              f"volumeMount {mount['name']}: subPath mounts never see ConfigMap/Secret updates")
        table.append((mount["mountPath"].rstrip("/"), volume))
    return table


def find_mount(table, path):
    best = None
    for mount_path, volume in table:
        if path == mount_path or path.startswith(mount_path + "/"):
            if best is None or len(mount_path) > len(best[0]):
                best = (mount_path, volume)
    return best


def read_mounted_file(rendered, table, path, namespace):
    mounted = find_mount(table, path)
    if mounted is None:
        return None
    mount_path, volume = mounted
    relative = path[len(mount_path) + 1:]
    if "configMap" in volume:
        return config_map_files(rendered, volume["configMap"], namespace).get(relative)
    for source in volume.get("projected", {}).get("sources", []):
        if "configMap" in source:
            found = config_map_files(rendered, source["configMap"], namespace).get(relative)
            if found is not None:
                return found
    return None


def projected_token(table, path):
    mounted = find_mount(table, path)
    if mounted is None:
        return None
    mount_path, volume = mounted
    relative = path[len(mount_path) + 1:]
    for source in volume.get("projected", {}).get("sources", []):
        token = source.get("serviceAccountToken")
        if token and token.get("path") == relative:
            return token
    return None


def rewrite_paths(text, table, root):
    """The config text with every mount path prefixed by the scratch root;
    everything else (line numbers included) stays as embedded."""
    for mount_path in sorted((m for m, _ in table), key=len, reverse=True):
        text = re.sub(r"(?<![\w/.-])" + re.escape(mount_path) + r"(?=/)", root + mount_path, text)
    return text


def lay_out_pod_files(rendered, table, config, root, certs, namespace):
    """Writes what the pod would see under root; returns nothing."""
    tls = (config.get("listener") or {}).get("tls") or {}
    dev_cert_for = {
        tls.get("cert_file"): "server.pem",
        tls.get("key_file"): "server.key",
        tls.get("client_ca_file"): "ca.pem",
    }
    dev_cert_for.pop(None, None)
    for mount_path, volume in table:
        directory = root + mount_path
        os.makedirs(directory, exist_ok=True)
        files = {}
        if "configMap" in volume:
            files = config_map_files(rendered, volume["configMap"], namespace)
        elif "projected" in volume:
            for source in volume["projected"].get("sources", []):
                if "serviceAccountToken" in source:
                    files[source["serviceAccountToken"]["path"]] = "placeholder.jwt.token\n"
                if "configMap" in source:
                    files.update(config_map_files(rendered, source["configMap"], namespace))
        elif "secret" in volume or "emptyDir" in volume or "csi" in volume:
            # Filled at run time (cert-manager, spiffe-helper): development
            # certificates in the files the config names inside this mount.
            for path, name in dev_cert_for.items():
                if path.startswith(mount_path + "/"):
                    with open(certs + "/" + name) as source:
                        files[path[len(mount_path) + 1:]] = source.read()
        for relative, text in files.items():
            target = os.path.join(directory, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as out:
                out.write(text)


def firewarden_check(args, rendered, pod_spec, container, config_path, text, config, table,
                     namespace):
    root = os.path.join(args.scratch, "root")
    shutil.rmtree(root, ignore_errors=True)
    certs = os.path.join(args.scratch, "certs")
    if not os.path.exists(os.path.join(certs, "ca.pem")):
        subprocess.run([args.dev_certs, certs], check=True, stdout=subprocess.DEVNULL)
    lay_out_pod_files(rendered, table, config, root, certs, namespace)
    target = root + config_path
    with open(target, "w") as out:
        out.write(rewrite_paths(text, table, root))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    # Downward API fields the kubelet would fill in.
    fields = {"metadata.namespace": namespace or "default",
              "spec.serviceAccountName": pod_spec.get("serviceAccountName", "default")}
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = rewrite_paths(str(variable["value"]), table, root)
        field = variable.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if field is not None:
            if check(field in fields, f"env {variable['name']}: fieldRef {field} is not simulated"):
                env[variable["name"]] = fields[field]
    result = subprocess.run([args.firewarden, "check", "--config", target], env=env,
                            capture_output=True, text=True, timeout=60)
    check(result.returncode == 0,
          f"firewarden check refuses the embedded config {config_path} "
          f"(paths under {root}): {result.stdout.strip()} {result.stderr.strip()}")


def check_pod(args, rendered, workload, pod, container, is_init):
    name = f"{workload['kind']}/{workload['metadata']['name']}"
    namespace = workload["metadata"].get("namespace", "")
    spec = pod["spec"]
    pod_security = spec.get("securityContext", {})
    check(pod_security.get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot must be true")
    check(pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          f"{name}: pod seccompProfile must be RuntimeDefault")
    check(spec.get("automountServiceAccountToken") is False,
          f"{name}: automountServiceAccountToken must be false (firewarden needs no API token)")
    check(not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"),
          f"{name}: no host namespaces")
    for key in ("initContainers", "containers"):
        for other in spec.get(key, []):
            check_container_hardening(f"{name} container {other['name']}", other, pod_security)
            if other is not container and other.get("restartPolicy") == "Always":
                check("startupProbe" in other,
                      f"{name}: sidecar {other['name']} needs a startupProbe so the next "
                      "container waits for it")

    # The config: --config PATH, from a mounted ConfigMap.
    arguments = container.get("args", [])
    if not check("--config" in arguments[:-1], f"{name}: firewarden args must name --config"):
        return
    config_path = arguments[arguments.index("--config") + 1]
    check(not container.get("command"), f"{name}: keep the image's ENTRYPOINT (firewarden run)")
    table = mount_table(container, spec)
    text = read_mounted_file(rendered, table, config_path, namespace)
    if not check(text is not None, f"{name}: {config_path} is not in a mounted ConfigMap"):
        return
    config = yaml.safe_load(text)
    limits = config.get("limits") or {}
    admin_port = port_of((config.get("admin") or {}).get("address", "127.0.0.1:9901"))
    listener = (config.get("listener") or {}).get("address", "0.0.0.0:8443")
    mode = (config.get("identity") or {}).get("mode")
    check(host_of((config.get("admin") or {}).get("address", "127.0.0.1:9901")) in ("0.0.0.0", "::"),
          f"{name}: admin.address must listen on the pod IP for kubelet probes")
    check((config.get("admin") or {}).get("enable_quit") is not True,
          f"{name}: admin.enable_quit must stay off on a pod-IP admin port")
    check(isinstance(config.get("threads"), int) and config["threads"] > 0,
          f"{name}: set threads explicitly (a container sees the node's cores)")

    # Probes on the admin port.
    # liveness never depends on Firestore or tokens; startup waits for the
    # policy, the certificates and a first token; readiness follows the rest.
    for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz"),
                        ("startupProbe", "/startup")):
        http_get = container.get(probe, {}).get("httpGet")
        if check(http_get is not None, f"{name}: firewarden needs an httpGet {probe}"):
            check(http_get.get("path") == path, f"{name}: {probe} must get {path}")
            check(resolve_port(container, http_get.get("port")) == admin_port,
                  f"{name}: {probe} must use the admin port {admin_port}")

    # A native sidecar's failing readiness takes the whole pod out of its
    # Services: a token outage must fail only the Firestore calls.
    requires_token = (config.get("admin") or {}).get("readiness_requires_token", True)
    if args.expect == "sidecar":
        check(requires_token is False,
              f"{name}: admin.readiness_requires_token must be false in a sidecar "
              "(a failing readiness takes the whole pod out)")
    else:
        check(requires_token is True,
              f"{name}: admin.readiness_requires_token must stay true in a gateway "
              "(a replica without a token must leave the Service)")

    # Grace period covers the drain.
    delay = parse_duration(limits.get("shutdown_delay"), "0s")
    grace = parse_duration(limits.get("shutdown_grace"), "20s")
    period = spec.get("terminationGracePeriodSeconds", 30)
    check(period >= delay + grace + 5,
          f"{name}: terminationGracePeriodSeconds {period} < shutdown_delay {delay:g}s + "
          f"shutdown_grace {grace:g}s + 5s margin")

    # Resources, against measured figures (docs/operations.md): ~12 MiB idle
    # (30 MiB allowed), per idle connection ~4 KiB plaintext and ~25 KiB with
    # TLS over HTTP/1.1, ~19 and ~52 KiB over HTTP/2 (24 and 90 allowed: the
    # costlier protocol with a margin), and room for four 10 MiB request bodies in flight.
    resources = container.get("resources", {})
    requests = resources.get("requests", {})
    check("cpu" in requests and "memory" in requests, f"{name}: firewarden needs cpu and memory requests")
    memory_limit = resources.get("limits", {}).get("memory")
    if check(memory_limit is not None, f"{name}: firewarden needs a memory limit"):
        connections = limits.get("max_connections", 10000)
        tls = bool((config.get("listener") or {}).get("tls"))
        per_connection_kib = 90 if tls else 24
        needed = (30 + 4 * 10) * 1024**2 + connections * per_connection_kib * 1024
        check(parse_memory(memory_limit) >= needed,
              f"{name}: memory limit {memory_limit} is below the measured need for "
              f"{connections} {'TLS' if tls else 'plaintext'} connections "
              f"({needed / 1024**2:.0f}Mi)")
        if "memory" in requests:
            check(parse_memory(requests["memory"]) >= 30 * 1024**2,
                  f"{name}: memory request below the ~30 MiB idle footprint")

    # Prometheus annotations.
    annotations = pod["metadata"].get("annotations", {})
    check(annotations.get("prometheus.io/scrape") == "true", f"{name}: prometheus.io/scrape")
    check(annotations.get("prometheus.io/port") == str(admin_port),
          f"{name}: prometheus.io/port must be the admin port {admin_port}")
    check(annotations.get("prometheus.io/path") == "/metrics", f"{name}: prometheus.io/path")

    # external_account: the credential file's token is the projected one, with
    # the audience the credential file names.
    credentials = config.get("credentials") or {}
    if credentials.get("type") == "external_account":
        credential_text = read_mounted_file(rendered, table, credentials.get("file", ""), namespace)
        if check(credential_text is not None,
                 f"{name}: credentials.file {credentials.get('file')} is not in a mounted ConfigMap"):
            credential = json.loads(credential_text)
            token_path = credential.get("credential_source", {}).get("file", "")
            token = projected_token(table, token_path)
            if check(token is not None,
                     f"{name}: credential_source.file {token_path} is not a projected token"):
                check(token.get("audience") == credential.get("audience"),
                      f"{name}: projected token audience differs from the credential's audience")
                check(600 <= token.get("expirationSeconds", 3600) <= 86400,
                      f"{name}: projected token expirationSeconds out of range")

    # The policy file must be hot-reloadable: a directory ConfigMap mount.
    policy_file = (config.get("policy") or {}).get("file", "")
    mounted = find_mount(table, policy_file)
    if check(mounted is not None and "configMap" in mounted[1],
             f"{name}: policy.file {policy_file} must come from a mounted ConfigMap"):
        policy_map = rendered.named("ConfigMap", mounted[1]["configMap"]["name"])
        if policy_map is not None:
            check(not re.search(r"-[a-z0-9]{10}$", policy_map["metadata"]["name"]),
                  f"{name}: the policy ConfigMap must keep a fixed name (hot reload, no rollout)")

    firewarden_check(args, rendered, spec, container, config_path, text, config, table, namespace)

    # Mode specifics.
    labels = pod["metadata"].get("labels", {})
    if args.expect == "sidecar":
        check(is_init and container.get("restartPolicy") == "Always",
              f"{name}: firewarden must be a native sidecar (initContainer, restartPolicy Always)")
        check(mode == "fixed", f"{name}: sidecar mode is identity.mode fixed")
        check(host_of(listener) in ("127.0.0.1", "::1"), f"{name}: sidecar listener must be loopback")
        apps = [c for c in spec.get("containers", [])]
        check(any(any(e.get("name") == "FIRESTORE_EMULATOR_HOST" and e.get("value") == listener
                      for e in app.get("env", [])) for app in apps),
              f"{name}: the app must point FIRESTORE_EMULATOR_HOST at {listener}")
        # The app shares the pod: it must not be able to get firewarden's
        # Google identity itself. The metadata server answers every container
        # of the pod alike, and a credential volume mounted into the app would
        # hand it over.
        check(credentials.get("type") != "metadata",
              f"{name}: a sidecar must not use metadata credentials (the app could fetch "
              "the same token from the metadata server)")
        secret_volumes = {volume["name"] for mount_path, volume in table
                          if mount_path != config_path.rsplit("/", 1)[0]
                          and (mount_path == (credentials.get("file") or "").rsplit("/", 1)[0]
                               or "projected" in volume or "secret" in volume)}
        for app in apps:
            for mount in app.get("volumeMounts", []):
                check(mount["name"] not in secret_volumes,
                      f"{name}: app container {app['name']} mounts firewarden's credential "
                      f"volume {mount['name']}")
    else:
        check(not is_init, f"{name}: the gateway runs firewarden as a regular container")
        check_gateway(rendered, name, workload, container, labels, listener, admin_port)
    if args.expect == "gateway":
        check(mode == "mtls", f"{name}: the gateway overlay is identity.mode mtls")
        tls = (config.get("listener") or {}).get("tls") or {}
        for key in ("cert_file", "key_file", "client_ca_file"):
            mounted = find_mount(table, tls.get(key, ""))
            check(mounted is not None and ("secret" in mounted[1] or "emptyDir" in mounted[1]),
                  f"{name}: listener.tls.{key} must lie in a mounted Secret or SPIFFE volume")
        if args.spiffe:
            check_spiffe(name, spec)
    if args.expect == "istio":
        check_istio(rendered, name, config, pod, labels, listener)
    check_network_policy(rendered, name, labels, namespace,
                         metadata_server_of(name, container, credentials))


def check_gateway(rendered, name, workload, container, labels, listener, admin_port):
    listener_port = port_of(listener)
    data_port_names = {p.get("name") for p in container.get("ports", [])
                       if p["containerPort"] == listener_port}
    services = [s for s in rendered.of_kind("Service")
                if labels_match(s["spec"].get("selector"), labels)]
    check(any(any(p.get("targetPort") == listener_port or p.get("targetPort") in data_port_names
                  for p in s["spec"]["ports"]) for s in services),
          f"{name}: no Service routes to the data port {listener_port}")
    hpas = [h for h in rendered.of_kind("HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"]]
    if check(hpas, f"{name}: no HorizontalPodAutoscaler"):
        check(hpas[0]["spec"].get("minReplicas", 1) >= 2, f"{name}: HPA minReplicas must be >= 2")
        # Utilization is relative to requests: every container needs one.
        pod_spec = workload["spec"]["template"]["spec"]
        for other in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
            if other.get("restartPolicy") == "Always" or other in pod_spec.get("containers", []):
                check("cpu" in other.get("resources", {}).get("requests", {}),
                      f"{name}: container {other['name']} needs a cpu request for the HPA")
    check(any(labels_match(p["spec"].get("selector", {}).get("matchLabels"), labels)
              for p in rendered.of_kind("PodDisruptionBudget")),
          f"{name}: no PodDisruptionBudget selects the pods")
    check(workload["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxUnavailable") == 0,
          f"{name}: rolling updates must keep every ready pod (maxUnavailable 0)")
    for monitor in rendered.of_kind("ServiceMonitor"):
        selected = [s for s in rendered.of_kind("Service")
                    if labels_match(monitor["spec"]["selector"].get("matchLabels"),
                                    s["metadata"].get("labels", {}))]
        for endpoint in monitor["spec"]["endpoints"]:
            check(endpoint.get("path") == "/metrics", f"ServiceMonitor: path must be /metrics")
            ports = [p for s in selected for p in s["spec"]["ports"]
                     if p.get("name") == endpoint.get("port")]
            check(ports and all(resolve_port(container, p.get("targetPort")) == admin_port
                                for p in ports),
                  f"ServiceMonitor: port {endpoint.get('port')} must reach the admin port")


def check_spiffe(name, spec):
    csi = [v for v in spec.get("volumes", []) if v.get("csi", {}).get("driver") == "csi.spiffe.io"]
    check(csi and all(v["csi"].get("readOnly") is True for v in csi),
          f"{name}: the SPIFFE CSI volume (csi.spiffe.io, readOnly) is missing")
    check(any(c.get("restartPolicy") == "Always" for c in spec.get("initContainers", [])),
          f"{name}: spiffe-helper must be a native sidecar")


def check_istio(rendered, name, config, pod, labels, listener):
    identity = config.get("identity") or {}
    check(identity.get("mode") == "xfcc", f"{name}: the istio overlay is identity.mode xfcc")
    peers = (identity.get("xfcc") or {}).get("trusted_peers", [])
    check(peers and all(p.startswith("127.") or p.startswith("::") for p in peers),
          f"{name}: xfcc.trusted_peers must be loopback only (the pod's own sidecar)")
    check(labels.get("sidecar.istio.io/inject") == "true", f"{name}: sidecar injection label")
    check_envoy_drain(name, config, pod)
    peer_auth = [p for p in rendered.of_kind("PeerAuthentication")
                 if labels_match(p["spec"].get("selector", {}).get("matchLabels"), labels)]
    check(peer_auth and all(p["spec"]["mtls"]["mode"] == "STRICT" for p in peer_auth),
          f"{name}: PeerAuthentication STRICT must select the pods")
    policies = [p for p in rendered.of_kind("AuthorizationPolicy")
                if labels_match(p["spec"].get("selector", {}).get("matchLabels"), labels)]
    if check(policies, f"{name}: no AuthorizationPolicy selects the pods"):
        for policy in policies:
            check(policy["spec"].get("action", "ALLOW") == "ALLOW" and policy["spec"].get("rules"),
                  f"{name}: AuthorizationPolicy must ALLOW named rules only")
            for rule in policy["spec"].get("rules", []):
                sources = [s.get("source", {}) for s in rule.get("from", [])]
                check(sources and all(s.get("principals") and "*" not in s["principals"]
                                      for s in sources),
                      f"{name}: AuthorizationPolicy rules must name mesh principals")
                for principal in (p for s in sources for p in s.get("principals", [])):
                    domain = principal.split("/", 1)[0]
                    check(domain in identity.get("trust_domains", []),
                          f"{name}: AuthorizationPolicy principal {principal} is outside the "
                          "config's trust domains")


def parse_proto_duration(text):
    """A protobuf/Go duration as Istio's ProxyConfig takes it: "30s", "1m30s", "500ms"."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u] for n, u in parts)


def check_envoy_drain(name, config, pod):
    """Envoy must outlast firewarden's drain, or the last answers have no way out.

    On SIGTERM the istio-proxy container drains for terminationDrainDuration
    (ProxyConfig, default 5s) and exits, while firewarden keeps answering for
    limits.shutdown_delay + shutdown_grace. A native sidecar (annotation
    sidecar.istio.io/nativeSidecar: "true") is stopped only after firewarden
    has exited, so it outlasts it by construction.
    """
    annotations = pod["metadata"].get("annotations", {})
    if annotations.get("sidecar.istio.io/nativeSidecar") == "true":
        return
    limits = config.get("limits") or {}
    firewarden_drain = (parse_duration(limits.get("shutdown_delay"), "0s")
                        + parse_duration(limits.get("shutdown_grace"), "20s"))
    try:
        proxy_config = yaml.safe_load(annotations.get("proxy.istio.io/config", "")) or {}
        envoy_drain = parse_proto_duration(proxy_config.get("terminationDrainDuration", "5s"))
    except (yaml.YAMLError, ValueError, AttributeError) as error:
        fail(f"{name}: cannot read proxy.istio.io/config: {error}")
        return
    check(envoy_drain > firewarden_drain,
          f"{name}: Envoy drains for {envoy_drain:g}s (terminationDrainDuration), not longer than "
          f"firewarden's shutdown_delay + shutdown_grace {firewarden_drain:g}s")
    period = pod["spec"].get("terminationGracePeriodSeconds", 30)
    check(period >= envoy_drain,
          f"{name}: terminationGracePeriodSeconds {period} < Envoy's drain {envoy_drain:g}s")


def check_network_policy(rendered, name, labels, namespace, metadata_server):
    policies = [p for p in rendered.of_kind("NetworkPolicy")
                if labels_match(p["spec"].get("podSelector", {}).get("matchLabels"), labels)]
    if check(policies, f"{name}: no NetworkPolicy selects the pods"):
        types = {t for p in policies for t in p["spec"].get("policyTypes", [])}
        check({"Ingress", "Egress"} <= types, f"{name}: NetworkPolicy must cover Ingress and Egress")
        if metadata_server is not None:
            address, port = metadata_server
            check(any(egress_allows(rule, address, port)
                      for p in policies for rule in p["spec"].get("egress") or []),
                  f"{name}: credentials.type metadata, but no NetworkPolicy egress rule allows "
                  f"{address}/32 TCP {port} (the metadata server; add components/gke-metadata)")


def metadata_server_of(name, container, credentials):
    """(IPv4 address, port) firewarden dials for metadata credentials: the
    container's $GCE_METADATA_HOST, else 169.254.169.254:80; None otherwise."""
    if credentials.get("type") != "metadata":
        return None
    host = "169.254.169.254:80"
    for variable in container.get("env", []):
        if variable.get("name") == "GCE_METADATA_HOST":
            host = str(variable.get("value", ""))
            host = host if ":" in host else host + ":80"
    try:
        return ipaddress.IPv4Address(host_of(host)), port_of(host)
    except ValueError:
        fail(f"{name}: metadata server {host!r} is not an IPv4 address and port: cannot check "
             "the NetworkPolicy lets firewarden reach it")
        return None


def egress_allows(rule, address, port):
    """Whether one NetworkPolicy egress rule lets TCP to address:port out.
    Anything not read unambiguously (named ports, selectors, which may or may
    not cover a link-local address) allows nothing."""
    peers = rule.get("to")
    if peers is None or peers == []:
        destination = True  # no `to`: every destination
    else:
        destination = any(ip_block_contains(peer.get("ipBlock"), address) for peer in peers
                          if set(peer) == {"ipBlock"})
    ports = rule.get("ports")
    if ports is None or ports == []:
        return destination  # no `ports`: every port
    return destination and any(
        entry.get("protocol", "TCP") == "TCP"
        and isinstance(entry.get("port"), int)
        and entry["port"] <= port <= entry.get("endPort", entry["port"])
        for entry in ports)


def ip_block_contains(block, address):
    try:
        network = ipaddress.ip_network(block["cidr"])
        excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
    except (KeyError, TypeError, ValueError):
        return False
    return (network.version == 4 and address in network
            and not any(address in e for e in excepted if e.version == 4))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--expect", choices=["sidecar", "gateway", "istio"], required=True)
    parser.add_argument("--spiffe", action="store_true")
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("--firewarden", required=True)
    parser.add_argument("--dev-certs", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("overlay")
    args = parser.parse_args()
    os.makedirs(args.scratch, exist_ok=True)

    rendered_text = subprocess.run([args.kubectl, "kustomize", args.overlay], check=True,
                                   capture_output=True, text=True, timeout=120).stdout
    rendered = Rendered(yaml.safe_load_all(rendered_text))
    found = workloads(rendered)
    if check(found, f"{args.overlay}: no workload runs a container named firewarden"):
        for workload, pod, container, is_init in found:
            check_pod(args, rendered, workload, pod, container, is_init)
    for message in failures:
        print(f"{args.overlay}: {message}")
    print(f"{args.overlay}: {len(rendered.objects)} objects, {len(found)} firewarden pod(s), "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

// Validates Kubernetes objects (a JSON array on stdin) against the OpenAPI
// schemas of Kubernetes, Istio and the prometheus-operator, as compiled by
// kubernetes-models, and refuses unknown fields as the API server's strict
// field validation would (a misspelt field is otherwise silently dropped by
// the cluster).
//
// Unknown fields: the compiled validators read every property their schema
// knows (present or not) and enumerate the keys of free-form maps, so each
// object is wrapped in a Proxy that records what the validator reads; a key
// of the data that was never read, in an object never enumerated, is unknown
// to the schema.
//
// Prints one line per problem; exit 0 when there are none, 1 otherwise.
import { readFileSync } from "node:fs";

// apiVersion + kind -> the compiled schema of that object.
const schemas = {
  "v1/ConfigMap": "kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap",
  "v1/Secret": "kubernetes-models/_schemas/IoK8sApiCoreV1Secret",
  "v1/Service": "kubernetes-models/_schemas/IoK8sApiCoreV1Service",
  "v1/ServiceAccount": "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount",
  "apps/v1/Deployment": "kubernetes-models/_schemas/IoK8sApiAppsV1Deployment",
  "autoscaling/v2/HorizontalPodAutoscaler":
    "kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy",
  "security.istio.io/v1/PeerAuthentication":
    "@kubernetes-models/istio/_schemas/SecurityIstioIoV1PeerAuthentication",
  "security.istio.io/v1/AuthorizationPolicy":
    "@kubernetes-models/istio/_schemas/SecurityIstioIoV1AuthorizationPolicy",
  "networking.istio.io/v1/ServiceEntry":
    "@kubernetes-models/istio/_schemas/NetworkingIstioIoV1ServiceEntry",
  "monitoring.coreos.com/v1/ServiceMonitor":
    "@kubernetes-models/prometheus-operator/_schemas/ComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1ServiceMonitor",
};

function watch(value, path, records) {
  if (value === null || typeof value !== "object") return value;
  const record = { value, path, read: new Set(), enumerated: false };
  records.push(record);
  const copy = Array.isArray(value)
    ? value.map((item, i) => watch(item, `${path}/${i}`, records))
    : Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, watch(item, `${path}/${key}`, records)]));
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

const objects = JSON.parse(readFileSync(0, "utf8"));
let problems = 0;
for (const object of objects) {
  const id = `${object.kind}/${object.metadata?.name}`;
  const module = schemas[`${object.apiVersion}/${object.kind}`];
  if (!module) {
    console.log(`${id}: no schema for ${object.apiVersion} ${object.kind} (add it to validate.mjs)`);
    problems++;
    continue;
  }
  // By file: the Istio and prometheus-operator packages do not export their
  // compiled schemas.
  const { validate } = await import(new URL(`./node_modules/${module}.js`, import.meta.url));
  const records = [];
  const valid = validate(watch(object, "", records));
  for (const error of valid ? [] : validate.errors) {
    console.log(`${id}: ${error.instancePath || "/"}: ${error.keyword} ${JSON.stringify(error.params)}`);
    problems++;
  }
  const unknown = [];
  for (const record of records) {
    if (Array.isArray(record.value) || record.enumerated) continue;
    if (unknown.some((path) => record.path.startsWith(`${path}/`))) continue;  // inside one
    for (const key of Object.keys(record.value)) {
      if (!record.read.has(key)) unknown.push(`${record.path}/${key}`);
    }
  }
  for (const path of unknown) console.log(`${id}: unknown field ${path}`);
  problems += unknown.length;
}
console.log(`${objects.length} objects, ${problems} problem(s)`);
process.exit(problems ? 1 : 0);

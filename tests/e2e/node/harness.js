// (Over 350 lines: the one harness every Node end-to-end suite shares, in sections.)
// Test harness for the Node SDK end-to-end suite: the Firestore emulator, the
// real firewarden binary, an Envoy-like XFCC shim, direct emulator reads and
// the SDK clients. Everything binds loopback, every wait is bounded, and only
// processes started here are stopped (by their handle, never by name).
//
// Environment (set by CTest, see tests/e2e.cmake):
//   FIREWARDEN_BINARY          the firewarden executable (required)
//   FIREWARDEN_TEST_STATE_DIR  CTest fixture state: an emulator already runs
//                              when STATE/emulator/port exists; otherwise this
//                              harness starts its own with scripts/emulator.
'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SOURCE_DIR = path.resolve(__dirname, '../../..');
const POLICY_FILE = path.join(SOURCE_DIR, 'tests/e2e/policy.yaml');

const ORDERS_ID = 'spiffe://cluster.local/ns/orders/sa/orders-api';
const ANALYTICS_ID = 'spiffe://cluster.local/ns/analytics/sa/reporter';
// What the SDK surfaces for a 403 / 401 (google.rpc.Code).
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

// The SDK must never reach for real Google credentials or a metadata server,
// and FIRESTORE_EMULATOR_HOST would override the host given to each client.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GCE_METADATA_HOST = '127.0.0.1:9';
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
delete process.env.FIRESTORE_EMULATOR_HOST;
delete process.env.FIRESTORE_PREFER_REST;

function requireModules() {
  try {
    return {
      firestore: require('@google-cloud/firestore'),
      auth: require('google-auth-library'),
    };
  } catch (e) {
    throw new Error(`${e.message}\nnpm packages missing: run scripts/bootstrap (npm ci in tests/e2e/node)`);
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function eventually(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

// One HTTP/1.1 request with a bounded wait; resolves {status, headers, body}
// or {status: 0, error} when nothing came back.
function httpRequest({host = '127.0.0.1', port, method = 'GET', path: target, headers = {}, body, localAddress, timeoutMs = 10000}) {
  return new Promise(resolve => {
    const req = http.request({host, port, method, path: target, headers, localAddress, agent: false}, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')}));
      res.on('error', error => resolve({status: 0, error: error.message}));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', error => resolve({status: 0, error: error.message}));
    req.end(body);
  });
}

// ---------------------------------------------------------------------------
// Child processes: started here, stopped here by their own handle.
// ---------------------------------------------------------------------------
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

function spawnLogged(argv, dir, name, env = {}) {
  const out = fs.openSync(path.join(dir, `${name}.stdout`), 'w');
  const err = fs.openSync(path.join(dir, `${name}.stderr`), 'w');
  const child = childProcess.spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', out, err],
    env: {...process.env, ...env},
  });
  fs.closeSync(out);
  fs.closeSync(err);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child, timeoutMs = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(timeoutMs).then(() => undefined)]);
  if (code === undefined) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`pid ${child.pid} did not stop within ${timeoutMs} ms of SIGTERM`);
  }
  return code;
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `firewarden-e2e-${prefix}-`));
}

// ---------------------------------------------------------------------------
// Firestore emulator
// ---------------------------------------------------------------------------
// The CTest fixture's emulator when there is one, else our own.
async function startEmulator() {
  const state = process.env.FIREWARDEN_TEST_STATE_DIR;
  const portFile = state && path.join(state, 'emulator/port');
  if (portFile && fs.existsSync(portFile)) {
    return {port: Number(fs.readFileSync(portFile, 'utf8').trim()), stop: async () => {}};
  }
  const dir = tempDir('emulator');
  const script = path.join(SOURCE_DIR, 'scripts/emulator');
  const started = childProcess.spawnSync(script, ['start', dir], {encoding: 'utf8', timeout: 120000});
  if (started.status !== 0) {
    throw new Error(`scripts/emulator start failed (${started.status}): ${started.stderr}`);
  }
  return {
    port: Number(started.stdout.trim()),
    stop: async () => {
      childProcess.spawnSync(script, ['stop', dir], {timeout: 30000});
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

// Direct access to the emulator, bypassing firewarden (the emulator's admin
// token "owner"): what the SDK did must be visible here.
class EmulatorView {
  constructor(port, project) {
    this.port = port;
    this.project = project;
    this.documents = `/v1/projects/${project}/databases/(default)/documents`;
  }

  request(method, target, body) {
    return httpRequest({
      port: this.port,
      method,
      path: target,
      headers: {authorization: 'Bearer owner', ...(body ? {'content-type': 'application/json'} : {})},
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  // The document's fields as plain JSON values, or null when it does not exist.
  async get(docPath) {
    const response = await this.request('GET', `${this.documents}/${encodePath(docPath)}`);
    if (response.status === 404) return null;
    assert.equal(response.status, 200, `emulator GET ${docPath}: ${response.body}${response.error || ''}`);
    return decodeFields(JSON.parse(response.body).fields || {});
  }

  async put(docPath, data) {
    const response = await this.request('PATCH', `${this.documents}/${encodePath(docPath)}`, {fields: encodeFields(data)});
    assert.equal(response.status, 200, `emulator PATCH ${docPath}: ${response.body}${response.error || ''}`);
  }

  // Every document of the project (a kindless all-descendants query at the
  // root) as "name@updateTime" strings: equal snapshots mean nothing changed.
  async snapshot() {
    const response = await this.request('POST', `${this.documents}:runQuery`, {
      structuredQuery: {from: [{allDescendants: true}]},
    });
    assert.equal(response.status, 200, `emulator runQuery: ${response.body}${response.error || ''}`);
    return JSON.parse(response.body)
      .filter(entry => entry.document)
      .map(entry => `${entry.document.name}@${entry.document.updateTime}`)
      .sort();
  }
}

function encodePath(docPath) {
  return docPath.split('/').map(encodeURIComponent).join('/');
}

function encodeValue(v) {
  if (v === null) return {nullValue: null};
  if (typeof v === 'boolean') return {booleanValue: v};
  if (typeof v === 'number') return Number.isInteger(v) ? {integerValue: String(v)} : {doubleValue: v};
  if (typeof v === 'string') return {stringValue: v};
  if (Array.isArray(v)) return {arrayValue: {values: v.map(encodeValue)}};
  return {mapValue: {fields: encodeFields(v)}};
}

function encodeFields(data) {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encodeValue(v)]));
}

function decodeValue(v) {
  if ('nullValue' in v) return null;
  if ('booleanValue' in v) return v.booleanValue;
  if ('integerValue' in v) return Number(v.integerValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('stringValue' in v) return v.stringValue;
  if ('timestampValue' in v) return v.timestampValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(decodeValue);
  if ('mapValue' in v) return decodeFields(v.mapValue.fields || {});
  return v;
}

function decodeFields(fields) {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decodeValue(v)]));
}

// The development certificates of scripts/dev-certs: the CTest fixture's
// when there are some, else made here (and removed by cleanup()).
function devCertificates() {
  const state = process.env.FIREWARDEN_TEST_STATE_DIR;
  const shared = state && path.join(state, 'certs');
  if (shared && fs.existsSync(path.join(shared, 'orders.pem'))) {
    return {file: name => path.join(shared, name), cleanup: async () => {}};
  }
  const dir = tempDir('certs');
  const made = childProcess.spawnSync(path.join(SOURCE_DIR, 'scripts/dev-certs'), [dir], {encoding: 'utf8', timeout: 60000});
  if (made.status !== 0) throw new Error(`scripts/dev-certs failed (${made.status}): ${made.stderr}`);
  return {file: name => path.join(dir, name), cleanup: async () => fs.rmSync(dir, {recursive: true, force: true})};
}

// ---------------------------------------------------------------------------
// firewarden
// ---------------------------------------------------------------------------
// tls (mode mtls): devCertificates(); the listener serves server.pem and
// requires an SVID signed by ca.pem.
// reloadInterval: how often the policy file is checked (firewarden's
// default when not given).
async function startFirewarden({mode, fixedId, trustedPeers, project, emulatorPort, policyFile = POLICY_FILE, databases = ['(default)'], tls, reloadInterval}) {
  const binary = process.env.FIREWARDEN_BINARY;
  if (!binary || !fs.existsSync(binary)) {
    throw new Error(`FIREWARDEN_BINARY must name the built firewarden (got ${JSON.stringify(binary)})`);
  }
  const dir = tempDir(`firewarden-${mode}`);
  const port = await freePort();
  const adminPort = await freePort();
  const identity = [`identity:`, `  mode: ${mode}`];
  if (mode === 'fixed') identity.push(`  fixed_id: "${fixedId}"`);
  if (mode === 'xfcc') identity.push(`  xfcc:`, `    trusted_peers: ${JSON.stringify(trustedPeers)}`);
  if (mode === 'mtls') identity.push(`  trust_domains: ["cluster.local"]`);
  const listenerTls = mode === 'mtls'
    ? [`  tls: {cert_file: "${tls.file('server.pem')}", key_file: "${tls.file('server.key')}", client_ca_file: "${tls.file('ca.pem')}"}`]
    : [];
  const config = [
    `listener:`,
    `  address: "127.0.0.1:${port}"`,
    ...listenerTls,
    ...identity,
    `policy:`,
    `  file: ${policyFile}`,
    ...(reloadInterval ? [`reload_interval: ${reloadInterval}`] : []),
    `firestore:`,
    `  endpoint: "http://127.0.0.1:${emulatorPort}"`,
    `  project: "${project}"`,
    `  databases: ${JSON.stringify(databases)}`,
    `  request_timeout: 10s`,
    `  connect_timeout: 2s`,
    `credentials: {type: static, token: owner}`,
    `admin:`,
    `  address: "127.0.0.1:${adminPort}"`,
    `limits: {shutdown_grace: 3s}`,
    `logging: {level: debug, format: json}`,
    ``,
  ].join('\n');
  const configPath = path.join(dir, 'firewarden.yaml');
  fs.writeFileSync(configPath, config);
  const child = spawnLogged([binary, 'run', '--config', configPath], dir, 'firewarden');
  const instance = {
    port,
    adminPort,
    dir,
    child,
    logs: () => fs.readFileSync(path.join(dir, 'firewarden.stderr'), 'utf8'),
    accessLog: () =>
      fs
        .readFileSync(path.join(dir, 'firewarden.stdout'), 'utf8')
        .split('\n')
        .filter(line => line.startsWith('{'))
        .map(line => JSON.parse(line)),
    // The access log once `enough(lines)` holds, or as it is after timeoutMs.
    // Lines are written by a background thread after the response has left,
    // so a client can be done before its last lines are in the file (on a
    // loaded machine, by well over the 20 ms batch delay).
    settledAccessLog: async (enough, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = instance.accessLog();
        if (enough(lines) || Date.now() >= deadline) return lines;
        await sleep(50);
      }
    },
    stop: async () => {
      const code = await stopChild(child);
      fs.rmSync(dir, {recursive: true, force: true});
      return code;
    },
  };
  try {
    await eventually('firewarden /readyz answers 200', 15000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return true;
      return (await httpRequest({port: adminPort, path: '/readyz', timeoutMs: 1000})).status === 200;
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\n${instance.logs()}`);
  }
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`firewarden exited at start (${child.exitCode ?? child.signalCode}):\n${instance.logs()}`);
  }
  return instance;
}

// ---------------------------------------------------------------------------
// XFCC shim: what the Envoy/Istio sidecar in front of firewarden does. It
// forwards each request from `localAddress` (firewarden's trusted peer),
// removes any x-forwarded-client-cert the client sent and sets its own for the
// identity of the (here: simulated) mTLS peer, as Envoy does with
// forward_client_cert_details: SANITIZE_SET.
// ---------------------------------------------------------------------------
async function startXfccShim({targetPort, identity, localAddress}) {
  const hash = crypto.createHash('sha256').update(identity).digest('hex');
  // The shape Istio's sidecar sends (an empty quoted Subject included).
  const xfcc = `By=spiffe://cluster.local/ns/firewarden/sa/firewarden;Hash=${hash};Subject="";URI=${identity}`;
  const agent = new http.Agent({keepAlive: true, maxSockets: 16, localAddress});
  const server = http.createServer((req, res) => {
    const headers = {...req.headers, 'x-forwarded-client-cert': xfcc};
    const upstream = http.request(
      {host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers, agent},
      upstreamResponse => {
        res.writeHead(upstreamResponse.statusCode, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      }
    );
    upstream.setTimeout(20000, () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', error => {
      if (!res.headersSent) res.writeHead(502, {'content-type': 'text/plain'});
      res.end(`shim: ${error.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    stop: () => {
      agent.destroy();
      server.closeAllConnections();
      return new Promise(resolve => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------
// SDK clients
// ---------------------------------------------------------------------------
// The real SDK over REST, pointed at a plaintext endpoint the way it is pointed
// at the emulator: host + ssl: false (then it also sends "Bearer owner", which
// firewarden drops). The auth client works around the REST transport asking
// for Application Default Credentials even with ssl: false
// (googleapis/nodejs-firestore#1811); its token replaces the SDK's own
// Authorization header, so it is the emulator's "owner" as well, and
// firewarden drops it like any client credential.
function sdkClient({port, project, customHeaders, settings = {}}) {
  const {firestore, auth} = requireModules();
  const authClient = new auth.OAuth2Client();
  authClient.setCredentials({access_token: 'owner', expiry_date: Date.now() + 24 * 3600 * 1000});
  const all = {
    projectId: project,
    host: `127.0.0.1:${port}`,
    ssl: false,
    preferRest: true,
    authClient,
    ...(customHeaders ? {customHeaders} : {}),
    ...settings,
  };
  // settings: {key: undefined} leaves a key out.
  return new firestore.Firestore(Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)));
}

// The google.rpc.Code an SDK error carries. SDK 8.7.0's REST transport
// (google-gax 5 with gaxios 7) puts the HTTP status on error.code (403, not 7)
// and Google's JSON error body in error.message — for Firestore's own errors
// and firewarden's alike (gax-nodejs#1803, fixed in google-gax 6 by
// googleapis/google-cloud-node#9346). Read the status name from the body then.
const RPC_CODES = {OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10,
  OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16};
function rpcCode(error) {
  if (typeof error.code === 'number' && error.code < 100) return error.code;
  try {
    const status = JSON.parse(error.message).error.status;
    if (status in RPC_CODES) return RPC_CODES[status];
  } catch {
    // not Google's error shape
  }
  return undefined;
}

// Asserts that `operation()` (started only after the snapshot is taken) fails
// in the SDK with `code` and leaves every document of the project as it was.
async function assertRefused(emulator, operation, code = PERMISSION_DENIED) {
  const before = await emulator.snapshot();
  await assert.rejects(Promise.resolve().then(operation), error => {
    assert.equal(rpcCode(error), code, `expected code ${code}, got ${error.code}: ${error.message}`);
    return true;
  });
  assert.deepEqual(await emulator.snapshot(), before, 'the emulator changed');
}

module.exports = {
  ANALYTICS_ID,
  SOURCE_DIR,
  tempDir,
  EmulatorView,
  ORDERS_ID,
  PERMISSION_DENIED,
  POLICY_FILE,
  rpcCode,
  UNAUTHENTICATED,
  assertRefused,
  devCertificates,
  eventually,
  httpRequest,
  requireModules,
  sdkClient,
  startEmulator,
  startFirewarden,
  startXfccShim,
};

// One gRPC Firestore SDK client (tests/e2e/{node/grpc-client.js, go, python-grpc,
// java}) run against the real emulator, either straight (the smoke test: the
// toolchain installs and the program works) or through firewarden with
// tests/e2e/policy.yaml as spiffe://cluster.local/ns/orders/sa/orders-api:
//   - every allowed operation succeeds and its result is in the emulator (read
//     directly, not through firewarden);
//   - the denied write, read and query fail with gRPC code 7 in the SDK, the
//     emulator's secrets/ documents are as they were, and firewarden's access
//     log shows each denial unforwarded;
//   - the RPCs firewarden saw are printed (coverage of the RPC table).
//
// Environment (tests/e2e.cmake sets it):
//   GRPC_SDK           node | go | python | java
//   GRPC_SDK_VIA       direct (the emulator itself), fixed (firewarden, h2c),
//                      mtls (firewarden, TLS with the client's SVID),
//                      relay-mtls (grpc-relay.js terminating TLS with a
//                      required client certificate in front of the emulator,
//                      refusing every request that names secrets/ with
//                      PERMISSION_DENIED: the SDK's mtls settings and its
//                      handling of a denial, checked without firewarden)
//   GRPC_SDK_GO_CLIENT the built Go client (tests/e2e.cmake builds it)
//   FIREWARDEN_BINARY, FIREWARDEN_TEST_STATE_DIR  as for the other e2e suites
'use strict';

const assert = require('node:assert/strict');
const {after, before, test} = require('node:test');

const {runClient} = require('./grpc-clients');
const {EmulatorView, ORDERS_ID, devCertificates, startEmulator, startFirewarden} = require('./harness');
const {startRelay} = require('./grpc-relay');

const SDK = process.env.GRPC_SDK;
const VIA = process.env.GRPC_SDK_VIA || 'direct';
const PERMISSION_DENIED = 7;

const ALLOWED = ['set', 'create', 'update-precondition', 'increment', 'get', 'getAll', 'query', 'collectionGroup',
  'aggregate', 'listCollections', 'listDocuments', 'runTransaction', 'delete'];
const NODE_ONLY = ['runTransaction-retry', 'bulkWriter'];
const DENIED = ['denied-write', 'denied-read', 'denied-query'];

const project = `grpc-${SDK}-${VIA}-${process.pid}`;
const runId = `${SDK}${process.pid}`;
const stops = [];
let emulator; // EmulatorView
let target; // host:port the client is pointed at
let tlsArgs = [];
let firewarden; // when VIA is fixed or mtls
let relay; // when VIA is relay-mtls

before(async () => {
  const emu = await startEmulator();
  stops.push(emu.stop);
  emulator = new EmulatorView(emu.port, project);
  if (VIA === 'direct') {
    target = `127.0.0.1:${emu.port}`;
    return;
  }
  const certs = VIA === 'fixed' ? null : devCertificates();
  if (certs) {
    stops.push(certs.cleanup);
    tlsArgs = ['--ca', certs.file('ca.pem'), '--cert', certs.file('orders.pem'), '--key', certs.file('orders.key')];
  }
  if (VIA === 'relay-mtls') {
    relay = await startRelay({upstreamPort: emu.port, tls: certs, refuse: (rpc, bytes) => bytes.includes('secrets')});
    stops.push(relay.stop);
    target = `127.0.0.1:${relay.port}`;
  } else if (VIA === 'fixed' || VIA === 'mtls') {
    firewarden = await startFirewarden({mode: VIA, fixedId: ORDERS_ID, project, emulatorPort: emu.port, tls: certs});
    stops.push(firewarden.stop);
    target = `127.0.0.1:${firewarden.port}`;
  } else {
    throw new Error(`GRPC_SDK_VIA must be direct, fixed, mtls or relay-mtls (got ${VIA})`);
  }
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

test(`${SDK} SDK over gRPC, ${VIA}`, {timeout: 280000}, async () => {
  const expectDenied = firewarden !== undefined || relay !== undefined;
  if (expectDenied) await emulator.put(`secrets/${runId}-seed`, {run: runId});
  const secretsBefore = (await emulator.snapshot()).filter(doc => doc.includes('/documents/secrets/'));

  const args = ['--target', target, '--project', project, '--run', runId, ...tlsArgs];
  const result = await runClient(SDK, expectDenied ? [...args, '--expect-denied'] : args);
  for (const line of result.lines) console.log(JSON.stringify(line));
  assert.equal(result.error, undefined, `could not run the ${SDK} client: ${result.error}`);
  assert.equal(result.status, 0, `${SDK} client exited ${result.status ?? result.signal}:\n${result.stderr}`);

  // Every operation ran once, with the outcome it expected.
  const expected = [...ALLOWED, ...(SDK === 'node' ? NODE_ONLY : []), ...(expectDenied ? DENIED : [])];
  const ops = result.lines.filter(line => line.op);
  assert.deepEqual(ops.map(line => line.op).sort(), [...expected].sort());
  for (const line of ops) {
    assert.equal(line.outcome, line.expect, JSON.stringify(line));
    if (line.expect === 'denied') assert.equal(line.code, PERMISSION_DENIED, JSON.stringify(line));
  }

  // The relay required a client certificate: it was the orders SVID; it
  // refused the denied operations' requests (an SDK may retry one).
  if (relay) {
    assert.deepEqual(relay.peers(), [`URI:${ORDERS_ID}`]);
    assert.ok(relay.refused() >= DENIED.length, `the relay refused ${relay.refused()} requests`);
  }

  // What the allowed operations did is in the emulator.
  assert.deepEqual(await emulator.get(`orders/${runId}-1`), {status: 'paid', total: 16, run: runId});
  assert.deepEqual(await emulator.get(`orders/${runId}-1/items/i1`), {price: 3, run: runId});
  assert.equal(await emulator.get(`orders/${runId}-t`), null);
  if (SDK === 'node') {
    assert.deepEqual(await emulator.get(`orders/${runId}-b1`), {n: 10});
    assert.equal(await emulator.get(`orders/${runId}-b2`), null);
    assert.deepEqual(await emulator.get(`orders/${runId}-r`), {n: 2});
  }

  // Nothing denied reached the emulator: secrets/ is as it was, and every
  // denial in the access log went unforwarded.
  const secretsAfter = (await emulator.snapshot()).filter(doc => doc.includes('/documents/secrets/'));
  assert.deepEqual(secretsAfter, secretsBefore, 'the emulator\'s secrets/ changed');
  if (firewarden) {
    const isDenial = line => line.decision === 'deny';
    const access = await firewarden.settledAccessLog(lines => lines.filter(isDenial).length >= DENIED.length);
    const denials = access.filter(isDenial);
    assert.ok(denials.length >= DENIED.length, `${denials.length} denials in the access log`);
    for (const line of denials) assert.equal(line.upstream_status, null, JSON.stringify(line));
    const seen = {};
    for (const line of access) seen[`${line.method} ${line.decision}`] = (seen[`${line.method} ${line.decision}`] || 0) + 1;
    console.log(`RPCs firewarden saw from the ${SDK} SDK: ${JSON.stringify(seen)}`);
  }
});

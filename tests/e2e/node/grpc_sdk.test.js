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
//                      handling of a denial, checked without firewarden),
//                      xfcc (firewarden in xfcc mode behind startXfccRelay of
//                      grpc-relay.js, the Istio sidecar: the SDK speaks TLS
//                      with its SVID to the relay, which sets
//                      x-forwarded-client-cert and forwards over h2c from the
//                      one address firewarden trusts)
//   GRPC_SDK_GO_CLIENT the built Go client (tests/e2e.cmake builds it)
//   FIREWARDEN_BINARY, FIREWARDEN_TEST_STATE_DIR  as for the other e2e suites
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const {after, before, test} = require('node:test');

const {runClient} = require('./grpc-clients');
const {ANALYTICS_ID, EmulatorView, ORDERS_ID, devCertificates, requireModules, rpcCode, startEmulator, startFirewarden} =
  require('./harness');
const {RELAY_ADDRESS, startRelay, startXfccRelay} = require('./grpc-relay');

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
let firewarden; // when VIA is fixed, mtls or xfcc
let relay; // when VIA is relay-mtls or xfcc
let certs; // devCertificates() unless VIA is direct or fixed

before(async () => {
  const emu = await startEmulator();
  stops.push(emu.stop);
  emulator = new EmulatorView(emu.port, project);
  if (VIA === 'direct') {
    target = `127.0.0.1:${emu.port}`;
    return;
  }
  certs = VIA === 'fixed' ? null : devCertificates();
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
  } else if (VIA === 'xfcc') {
    firewarden = await startFirewarden({mode: VIA, trustedPeers: [`${RELAY_ADDRESS}/32`], project, emulatorPort: emu.port});
    stops.push(firewarden.stop);
    relay = await startXfccRelay({upstreamPort: firewarden.port, tls: certs});
    stops.push(relay.stop);
    target = `127.0.0.1:${relay.port}`;
  } else {
    throw new Error(`GRPC_SDK_VIA must be direct, fixed, mtls, relay-mtls or xfcc (got ${VIA})`);
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

  // The relay required a client certificate: it was the orders SVID. The
  // test relay refused the denied operations' requests (an SDK may retry one);
  // the sidecar named the SVID in every request it forwarded.
  if (relay) assert.deepEqual(relay.peers(), [`URI:${ORDERS_ID}`]);
  if (VIA === 'relay-mtls') assert.ok(relay.refused() >= DENIED.length, `the relay refused ${relay.refused()} requests`);
  if (VIA === 'xfcc') {
    const named = relay.forwarded().map(xfcc => xfcc.split(';URI=')[1]);
    assert.ok(named.length >= ALLOWED.length, `the relay forwarded ${named.length} requests`);
    assert.deepEqual([...new Set(named)], [ORDERS_ID]);
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
    for (const line of access) assert.equal(line.identity, ORDERS_ID, JSON.stringify(line));
    const seen = {};
    for (const line of access) seen[`${line.method} ${line.decision}`] = (seen[`${line.method} ${line.decision}`] || 0) + 1;
    console.log(`RPCs firewarden saw from the ${SDK} SDK: ${JSON.stringify(seen)}`);
  }
});

// An app cannot claim another identity through the sidecar: the SDK (orders
// SVID) sends x-forwarded-client-cert naming the analytics workload, which
// may read reports/ (the orders one may not). The relay replaces the header,
// so firewarden decides as orders-api: the read is denied, the write on
// orders/ lands. Node only: the SDK's customHeaders reach gRPC metadata.
const forgedHeaderTest = VIA === 'xfcc' && SDK === 'node' ? test : () => {};
forgedHeaderTest('a client\'s own x-forwarded-client-cert is replaced by the sidecar, not trusted', {timeout: 60000}, async () => {
  const {firestore} = requireModules();
  const {grpc} = require('google-gax');
  const forged = `By=spiffe://cluster.local/ns/firewarden/sa/firewarden;URI=${ANALYTICS_ID}`;
  await emulator.put(`reports/${runId}-r`, {run: runId});
  const db = new firestore.Firestore({
    projectId: project,
    host: target,
    sslCreds: grpc.credentials.createSsl(
      fs.readFileSync(certs.file('ca.pem')), fs.readFileSync(certs.file('orders.key')), fs.readFileSync(certs.file('orders.pem'))),
    customHeaders: {'x-forwarded-client-cert': forged},
  });
  const forwardedBefore = relay.forwarded().length;
  try {
    await assert.rejects(db.doc(`reports/${runId}-r`).get(), error => {
      assert.equal(rpcCode(error), PERMISSION_DENIED, error.message);
      return true;
    });
    await db.doc(`orders/${runId}-forged`).set({by: 'orders'});
  } finally {
    await db.terminate();
  }
  assert.deepEqual(await emulator.get(`orders/${runId}-forged`), {by: 'orders'});
  assert.ok(relay.received().includes(forged), 'the forged header did not reach the relay');
  const sent = relay.forwarded().slice(forwardedBefore);
  assert.ok(sent.length >= 2 && sent.every(xfcc => xfcc.endsWith(`;URI=${ORDERS_ID}`)), JSON.stringify(sent));
  const isReportRead = line => JSON.stringify(line).includes(`reports/${runId}-r`);
  const access = await firewarden.settledAccessLog(lines => lines.some(isReportRead));
  const reads = access.filter(isReportRead);
  assert.ok(reads.length > 0, 'the forged read has no access line');
  for (const line of reads) {
    assert.equal(line.identity, ORDERS_ID, JSON.stringify(line));
    assert.equal(line.decision, 'deny', JSON.stringify(line));
    assert.equal(line.upstream_status, null, JSON.stringify(line));
  }
});

// Real-time listeners (the Listen stream) and the Write stream with real
// clients on the real emulator: the Node SDK in its default gRPC mode
// (onSnapshot) and a raw grpc-js client for Write. With LISTEN_VIA=direct the
// programs run straight against the emulator (smoke: they work, every listener
// is served); with LISTEN_VIA=fixed through firewarden as
// spiffe://cluster.local/ns/orders/sa/orders-api with tests/e2e/policy.yaml,
// which lets it read and write orders/**, query **/items, and nothing on
// secrets/:
//   - listeners on orders/ (a query, a document, a collection group across
//     allDescendants) receive their first snapshot and later changes made by
//     another client; a query and a document listener on secrets/ get their
//     error callback once, with code 7, and are not reopened; the allowed ones
//     keep receiving changes afterwards;
//   - a listener allowed by one policy gets code 7 within one reload interval
//     of a policy that denies it, and another listener of the same client goes
//     on;
//   - on a Write stream, an allowed write lands and a denied one ends the
//     stream with code 7 and does not.
// Every wait is bounded; the SDK surfaces a Listen target's removal as an
// Error whose message is "Error <code>: <cause>" (no error.code).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {after, before, describe, test} = require('node:test');

const {client: grpcSdkClient} = require('./grpc-client');
const {EmulatorView, ORDERS_ID, POLICY_FILE, eventually, startEmulator, startFirewarden, tempDir} = require('./harness');
const {messageQueue, rawFirestore} = require('./raw-grpc');

const VIA = process.env.LISTEN_VIA || 'direct';
if (!['direct', 'fixed'].includes(VIA)) throw new Error(`LISTEN_VIA must be direct or fixed (got ${VIA})`);
const THROUGH_FIREWARDEN = VIA !== 'direct';
const PERMISSION_DENIED = 7;
const WAIT_MS = 20000; // the bound of every single wait
const BOUNDED = {timeout: 120000};

// The code an onSnapshot error carries: error.code, or "Error <code>: …" in
// its message (a REMOVE target change).
function listenCode(error) {
  if (typeof error.code === 'number') return error.code;
  const match = /^Error (\d+):/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

// One onSnapshot listener and what it has received: views (one per
// snapshot: a query's document ids, a document's data) and errors.
function listen(ref, name) {
  const seen = {name, views: [], errors: []};
  const render = snapshot =>
    snapshot.docs ? snapshot.docs.map(doc => doc.ref.path.split('/').slice(-1)[0]).sort().join(',')
      : JSON.stringify(snapshot.exists ? snapshot.data() : null);
  seen.stop = ref.onSnapshot(
    snapshot => seen.views.push(render(snapshot)),
    error => seen.errors.push(error));
  seen.until = async (what, probe) => {
    try {
      await eventually(`${name}: ${what}`, WAIT_MS, async () => probe(seen));
    } catch (error) {
      const errors = seen.errors.map(e => e.message);
      throw new Error(`${error.message} (snapshots ${JSON.stringify(seen.views)}, errors ${JSON.stringify(errors)})`);
    }
  };
  seen.sees = view => seen.until(`a snapshot ${view}`, s => s.views.includes(view));
  seen.denied = async () => {
    await seen.until('its error callback', s => s.errors.length > 0);
    assert.equal(listenCode(seen.errors[0]), PERMISSION_DENIED, `${name}: ${seen.errors[0].message}`);
  };
  return seen;
}

// Access lines of denied Listen targets (one per add_target) that name `what`.
const listenDenials = (lines, what) =>
  lines.filter(line => line.method === 'Listen' && line.decision === 'deny' &&
    String(line.stream_message).startsWith('add_target') && JSON.stringify(line).includes(what));

const project = `listen-${VIA}-${process.pid}`;
const run = `l${process.pid}`;
const stops = [];
let emulator; // EmulatorView
let emulatorPort;
let firewarden; // when through firewarden

before(async () => {
  const emu = await startEmulator();
  stops.push(emu.stop);
  emulatorPort = emu.port;
  emulator = new EmulatorView(emu.port, project);
  if (THROUGH_FIREWARDEN) {
    firewarden = await startFirewarden({mode: VIA, fixedId: ORDERS_ID, project, emulatorPort});
    stops.push(firewarden.stop);
  }
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

const targetOf = instance => `127.0.0.1:${instance ? instance.port : emulatorPort}`;

describe(`Node SDK listeners, ${VIA}`, () => {
  test('allowed listeners are live, denied ones get code 7 once, the others go on', BOUNDED, async () => {
    await emulator.put(`orders/${run}-1`, {run, status: 'open'});
    await emulator.put(`orders/${run}-1/items/i1`, {run});
    await emulator.put(`secrets/${run}-s`, {run});
    const db = grpcSdkClient({target: targetOf(firewarden), project});
    const listeners = [];
    try {
      const orders = listen(db.collection('orders').where('run', '==', run), 'query on orders');
      const order = listen(db.doc(`orders/${run}-1`), 'document orders/…-1');
      const items = listen(db.collectionGroup('items').where('run', '==', run), 'collection group items');
      const secrets = listen(db.collection('secrets').where('run', '==', run), 'query on secrets');
      const secret = listen(db.doc(`secrets/${run}-s`), 'document secrets/…-s');
      listeners.push(orders, order, items, secrets, secret);

      await orders.sees(`${run}-1`);
      await order.sees(JSON.stringify({run, status: 'open'}));
      await items.sees('i1');
      if (THROUGH_FIREWARDEN) {
        await secrets.denied();
        await secret.denied();
      } else {
        await secrets.sees(`${run}-s`);
        await secret.sees(JSON.stringify({run}));
      }

      // Changes by another client (the emulator, directly) reach every live
      // listener, after the denials.
      await emulator.put(`orders/${run}-2`, {run});
      await emulator.put(`orders/${run}-1`, {run, status: 'paid'});
      await emulator.put(`orders/${run}-2/items/i2`, {run});
      await orders.sees(`${run}-1,${run}-2`);
      await order.sees(JSON.stringify({run, status: 'paid'}));
      await items.sees('i1,i2');
      for (const live of [orders, order, items]) assert.deepEqual(live.errors, [], live.name);

      if (THROUGH_FIREWARDEN) {
        // One error each, and one decided target each: a denied listener is
        // not reopened (the SDK reopens a Listen stream that ends with a
        // status, silently, every few seconds).
        await emulator.put(`orders/${run}-3`, {run});
        await orders.sees(`${run}-1,${run}-2,${run}-3`);
        for (const denied of [secrets, secret]) assert.equal(denied.errors.length, 1, denied.name);
        const lines = await firewarden.settledAccessLog(all => listenDenials(all, 'secrets').length >= 2);
        const denials = listenDenials(lines, 'secrets');
        assert.equal(denials.length, 2, `Listen denials on secrets/: ${JSON.stringify(denials)}`);
        const others = listenDenials(lines, '').filter(line => !JSON.stringify(line).includes('secrets'));
        assert.deepEqual(others, [], 'a Listen target outside secrets/ was denied');
      }
    } finally {
      for (const listener of listeners) listener.stop();
      await db.terminate();
    }
  });

  test('a policy change removes the listener it denies within one reload interval, not the others', {
    ...BOUNDED,
    skip: THROUGH_FIREWARDEN ? false : 'a policy needs firewarden',
  }, async () => {
    // Policy A is the suite's; policy B also denies the orders workload
    // queries on the orders collection (its documents stay readable).
    const dir = tempDir('listen-reload');
    const policyFile = path.join(dir, 'policy.yaml');
    const policyA = fs.readFileSync(POLICY_FILE, 'utf8');
    fs.writeFileSync(policyFile, policyA);
    const reloadSeconds = 1;
    const reloading = await startFirewarden({mode: VIA, fixedId: ORDERS_ID, project, emulatorPort, policyFile,
      reloadInterval: `${reloadSeconds}s`});
    const db = grpcSdkClient({target: targetOf(reloading), project});
    const listeners = [];
    try {
      await emulator.put(`orders/${run}-r1`, {run: `${run}r`, n: 1});
      const query = listen(db.collection('orders').where('run', '==', `${run}r`), 'query on orders');
      const doc = listen(db.doc(`orders/${run}-r1`), 'document orders/…-r1');
      listeners.push(query, doc);
      await query.sees(`${run}-r1`);
      await doc.sees(JSON.stringify({run: `${run}r`, n: 1}));

      const policyB = `${policyA}
  - name: no-order-queries-now
    effect: deny
    subjects:
      namespaces: ["orders"]
    collections: ["orders"]
    actions: [query]
`;
      // Replaced in one step, as a ConfigMap update is.
      fs.writeFileSync(`${policyFile}.new`, policyB);
      fs.renameSync(`${policyFile}.new`, policyFile);
      const changed = Date.now();
      await query.denied();
      const latency = Date.now() - changed;
      console.log(`the query listener was removed ${latency} ms after the policy file changed`);
      // One interval until the change is seen, and a margin for a loaded
      // machine (the bound is what a stuck reload would exceed many times).
      assert.ok(latency <= reloadSeconds * 1000 + 3000, `removed after ${latency} ms`);

      await emulator.put(`orders/${run}-r1`, {run: `${run}r`, n: 2});
      await doc.sees(JSON.stringify({run: `${run}r`, n: 2}));
      assert.deepEqual(doc.errors, [], doc.name);
      assert.equal(query.errors.length, 1, query.name);
    } finally {
      for (const listener of listeners) listener.stop();
      await db.terminate();
      await reloading.stop();
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
});

describe(`Write stream, ${VIA}`, () => {
  test('an allowed write lands, a denied one ends the stream with code 7 and does not', BOUNDED, async () => {
    const raw = rawFirestore({target: targetOf(firewarden), project});
    const call = raw.client.Write(raw.metadata());
    const responses = messageQueue(call);
    const update = (doc, n) => ({update: {name: `${raw.documents}/${doc}`, fields: {n: {integerValue: String(n)}}}});
    try {
      // The handshake: the database alone; the answer names the stream.
      call.write({database: raw.database});
      const handshake = await responses.next(WAIT_MS);
      assert.ok(handshake.streamId && handshake.streamToken.length > 0, JSON.stringify(handshake));

      call.write({streamToken: handshake.streamToken, writes: [update(`orders/${run}-w`, 1)]});
      const written = await responses.next(WAIT_MS);
      assert.equal(written.writeResults.length, 1, JSON.stringify(written));
      assert.deepEqual(await emulator.get(`orders/${run}-w`), {n: 1});

      const secretsBefore = (await emulator.snapshot()).filter(doc => doc.includes('/documents/secrets/'));
      call.write({streamToken: written.streamToken, writes: [update(`secrets/${run}-w`, 2)]});
      if (THROUGH_FIREWARDEN) {
        await assert.rejects(responses.next(WAIT_MS), error => {
          assert.equal(error.code, PERMISSION_DENIED, error.message);
          return true;
        });
        assert.equal(await emulator.get(`secrets/${run}-w`), null);
        const secretsAfter = (await emulator.snapshot()).filter(doc => doc.includes('/documents/secrets/'));
        assert.deepEqual(secretsAfter, secretsBefore, 'the emulator\'s secrets/ changed');
      } else {
        assert.equal((await responses.next(WAIT_MS)).writeResults.length, 1);
        assert.deepEqual(await emulator.get(`secrets/${run}-w`), {n: 2});
      }
    } finally {
      call.end();
      raw.close();
    }
  });
});

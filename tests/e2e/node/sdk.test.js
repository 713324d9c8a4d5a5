// The real @google-cloud/firestore SDK (preferRest: true) through firewarden
// to the real Firestore emulator, in `fixed` (sidecar) and `xfcc` (behind an
// Envoy-like hop) modes, with tests/e2e/policy.yaml:
//   orders     (spiffe://cluster.local/ns/orders/sa/orders-api)  owns orders/**
//   analytics  (spiffe://cluster.local/ns/analytics/sa/reporter) reads reports/**
// Allowed operations must succeed and be visible in the emulator (read
// directly, not through firewarden); refused ones must fail in the SDK with
// PERMISSION_DENIED (7) and leave every document of the project unchanged.
//
//   FIREWARDEN_BINARY=build/firewarden node --test tests/e2e/node/
// E2E_MODES=fixed (or xfcc) runs one mode only; CTest runs each on its own.
'use strict';

const assert = require('node:assert/strict');
const {after, before, describe, test} = require('node:test');

const {
  ANALYTICS_ID,
  EmulatorView,
  ORDERS_ID,
  UNAUTHENTICATED,
  assertRefused,
  requireModules,
  rpcCode,
  sdkClient,
  startEmulator,
  startFirewarden,
  startXfccShim,
} = require('./harness');

const modes = (process.env.E2E_MODES || 'fixed,xfcc').split(',').filter(Boolean);

// What the trusted hop connects from in xfcc mode; everything else on
// loopback (the SDK itself, 127.0.0.1) is not a trusted peer.
const SHIM_ADDRESS = '127.0.0.2';
// Every test ends by itself: a hung request fails it, and after() still stops
// what before() started.
const BOUNDED = {timeout: 90000};

for (const mode of modes) {
  describe(`${mode} mode`, () => {
    const project = `e2e-${mode}-${process.pid}`;
    const stops = [];
    let emulator; // EmulatorView
    let orders; // SDK clients
    let analytics;
    let endpoints; // mode-specific extras for the identity tests

    before(async () => {
      const emu = await startEmulator();
      stops.push(emu.stop);
      emulator = new EmulatorView(emu.port, project);
      if (mode === 'fixed') {
        // Sidecar mode: one firewarden per workload, each with its own identity.
        const fwOrders = await startFirewarden({mode, fixedId: ORDERS_ID, project, emulatorPort: emu.port});
        stops.push(fwOrders.stop);
        const fwAnalytics = await startFirewarden({mode, fixedId: ANALYTICS_ID, project, emulatorPort: emu.port});
        stops.push(fwAnalytics.stop);
        orders = sdkClient({port: fwOrders.port, project});
        analytics = sdkClient({port: fwAnalytics.port, project});
        endpoints = {ordersFirewarden: fwOrders};
      } else {
        // Gateway behind a mesh hop: one firewarden, the hop says who calls.
        const fw = await startFirewarden({mode, trustedPeers: [`${SHIM_ADDRESS}/32`], project, emulatorPort: emu.port});
        stops.push(fw.stop);
        const ordersHop = await startXfccShim({targetPort: fw.port, identity: ORDERS_ID, localAddress: SHIM_ADDRESS});
        stops.push(ordersHop.stop);
        const analyticsHop = await startXfccShim({targetPort: fw.port, identity: ANALYTICS_ID, localAddress: SHIM_ADDRESS});
        stops.push(analyticsHop.stop);
        orders = sdkClient({port: ordersHop.port, project});
        analytics = sdkClient({port: analyticsHop.port, project});
        endpoints = {firewarden: fw};
      }
    });

    after(async () => {
      await Promise.allSettled([orders, analytics].filter(Boolean).map(db => db.terminate()));
      for (const stop of stops.reverse()) await stop();
    });

    test('set, get, update and delete on an allowed collection reach the emulator', BOUNDED, async () => {
      const ref = orders.doc('orders/o1');
      await ref.set({status: 'open', total: 10, lines: ['a', 'b']});
      assert.deepEqual(await emulator.get('orders/o1'), {status: 'open', total: 10, lines: ['a', 'b']});

      const snapshot = await ref.get();
      assert.equal(snapshot.exists, true);
      assert.deepEqual(snapshot.data(), {status: 'open', total: 10, lines: ['a', 'b']});

      await ref.update({status: 'paid', total: 12});
      assert.deepEqual(await emulator.get('orders/o1'), {status: 'paid', total: 12, lines: ['a', 'b']});

      await orders.doc('orders/o1/items/i1').create({sku: 'x'});
      assert.deepEqual(await emulator.get('orders/o1/items/i1'), {sku: 'x'});

      await ref.delete();
      assert.equal(await emulator.get('orders/o1'), null);
    });

    test('writes outside the policy fail with PERMISSION_DENIED and change nothing', BOUNDED, async () => {
      await emulator.put('orders/w1', {status: 'open'});
      await emulator.put('orders/w1/audit/a1', {event: 'created'});
      await emulator.put('secrets/s1', {v: 1});
      await assertRefused(emulator, () => orders.doc('secrets/s2').set({v: 2}));
      await assertRefused(emulator, () => orders.doc('secrets/s1').update({v: 3}));
      await assertRefused(emulator, () => orders.doc('secrets/s1').delete());
      await assertRefused(emulator, () => analytics.doc('orders/w1').set({status: 'hacked'}));
      await assertRefused(emulator, () => analytics.doc('orders/w1').update({status: 'hacked'}));
      await assertRefused(emulator, () => analytics.doc('orders/w1').delete());
      await assertRefused(emulator, () => analytics.doc('reports/r1').set({v: 1}));
      // Audit entries: created by the owner, never changed or removed.
      await orders.doc('orders/w1/audit/a2').create({event: 'paid'});
      assert.deepEqual(await emulator.get('orders/w1/audit/a2'), {event: 'paid'});
      await assertRefused(emulator, () => orders.doc('orders/w1/audit/a1').update({event: 'forged'}));
      await assertRefused(emulator, () => orders.doc('orders/w1/audit/a1').delete());
      // set() is an upsert: create and update, and update is denied on audit.
      await assertRefused(emulator, () => orders.doc('orders/w1/audit/a3').set({event: 'x'}));
      assert.deepEqual(await emulator.get('orders/w1'), {status: 'open'});
      assert.deepEqual(await emulator.get('secrets/s1'), {v: 1});
    });

    test('reads outside the policy fail with PERMISSION_DENIED', BOUNDED, async () => {
      await emulator.put('orders/r1', {status: 'open'});
      await emulator.put('reports/daily', {count: 3});
      assert.deepEqual((await analytics.doc('reports/daily').get()).data(), {count: 3});
      await assertRefused(emulator, () => analytics.doc('orders/r1').get());
      await assertRefused(emulator, () => orders.doc('reports/daily').get());
    });

    test('getAll: allowed as a whole, or refused as a whole', BOUNDED, async () => {
      await emulator.put('orders/g1', {n: 1});
      await emulator.put('orders/g2', {n: 2});
      await emulator.put('reports/g3', {n: 3});
      const snapshots = await orders.getAll(orders.doc('orders/g1'), orders.doc('orders/g2'), orders.doc('orders/missing'));
      assert.deepEqual(
        snapshots.map(s => (s.exists ? s.data().n : null)),
        [1, 2, null]
      );
      // One document the caller may not read refuses the whole batchGet.
      await assertRefused(emulator, () => orders.getAll(orders.doc('orders/g1'), orders.doc('reports/g3')));
      await assertRefused(emulator, () => analytics.getAll(analytics.doc('reports/g3'), analytics.doc('orders/g1')));
      const [report] = await analytics.getAll(analytics.doc('reports/g3'));
      assert.deepEqual(report.data(), {n: 3});
    });

    test('queries with filters and ordering', BOUNDED, async () => {
      await emulator.put('orders/q1', {status: 'open', total: 5});
      await emulator.put('orders/q2', {status: 'open', total: 50});
      await emulator.put('orders/q3', {status: 'paid', total: 20});
      await emulator.put('orders/q4', {status: 'open', total: 30});
      const {firestore} = requireModules();
      const query = orders
        .collection('orders')
        .where('status', '==', 'open')
        .where('total', '>=', 10)
        .orderBy('total', 'desc');
      assert.deepEqual((await query.get()).docs.map(d => d.id), ['q2', 'q4']);
      const either = orders
        .collection('orders')
        .where(firestore.Filter.or(firestore.Filter.where('total', '==', 5), firestore.Filter.where('status', '==', 'paid')))
        .orderBy('total');
      assert.deepEqual((await either.get()).docs.map(d => d.id), ['q1', 'q3']);
      const counted = await orders.collection('orders').where('status', '==', 'open').count().get();
      assert.ok(counted.data().count >= 3);

      await assertRefused(emulator, () => analytics.collection('orders').where('status', '==', 'open').get());
      await assertRefused(emulator, () => analytics.collection('orders').count().get());
      await assertRefused(emulator, () => orders.collection('secrets').orderBy('v').get());
      await emulator.put('reports/q5', {day: 2});
      await emulator.put('reports/q6', {day: 1});
      assert.deepEqual((await analytics.collection('reports').where('day', '>', 0).orderBy('day').get()).docs.map(d => d.id), ['q6', 'q5']);
    });

    test('collection-group queries', BOUNDED, async () => {
      await emulator.put('orders/cg1/items/i1', {price: 3});
      await emulator.put('orders/cg2/items/i2', {price: 1});
      await emulator.put('orders/cg2/payments/p1', {amount: 4});
      const items = await orders.collectionGroup('items').where('price', '>', 0).orderBy('price').get();
      const names = items.docs.map(d => d.ref.path);
      assert.ok(names.includes('orders/cg1/items/i1') && names.includes('orders/cg2/items/i2'), names.join(','));
      const prices = items.docs.map(d => d.data().price);
      assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
      // **/payments is not covered by any rule of orders (only orders/**).
      await assertRefused(emulator, () => orders.collectionGroup('payments').get());
      await assertRefused(emulator, () => analytics.collectionGroup('items').get());
    });

    test('runTransaction reads and writes atomically, and a refused write commits nothing', BOUNDED, async () => {
      await emulator.put('orders/t1', {stock: 5});
      const left = await orders.runTransaction(async t => {
        const doc = await t.get(orders.doc('orders/t1'));
        const open = await t.get(orders.collection('orders').where('stock', '>', 0));
        assert.ok(open.size >= 1);
        t.update(orders.doc('orders/t1'), {stock: doc.data().stock - 1});
        t.create(orders.doc('orders/t2'), {from: 't1'});
        return doc.data().stock - 1;
      });
      assert.equal(left, 4);
      assert.deepEqual(await emulator.get('orders/t1'), {stock: 4});
      assert.deepEqual(await emulator.get('orders/t2'), {from: 't1'});

      // The reads are allowed, the commit is not (secrets/*): nothing is written.
      await assertRefused(
        emulator,
        () =>
          orders.runTransaction(async t => {
          const doc = await t.get(orders.doc('orders/t1'));
          t.update(orders.doc('orders/t1'), {stock: doc.data().stock - 1});
          t.set(orders.doc('secrets/t3'), {leak: true});
        })
      );
      // A refused read inside the transaction.
      await assertRefused(
        emulator,
        () =>
          analytics.runTransaction(async t => {
          await t.get(analytics.doc('orders/t1'));
        })
      );
      assert.deepEqual(await emulator.get('orders/t1'), {stock: 4});
      assert.equal(await emulator.get('secrets/t3'), null);
    });

    test('BulkWriter (batchWrite): allowed writes land, a batch with a refused write is refused whole', BOUNDED, async () => {
      await emulator.put('orders/b3', {n: 3});
      await emulator.put('orders/b4', {n: 4});
      const writer = orders.bulkWriter({throttling: false});
      const results = [
        writer.create(orders.doc('orders/b1'), {n: 1}),
        writer.set(orders.doc('orders/b2'), {n: 2}),
        writer.update(orders.doc('orders/b3'), {n: 30}),
        writer.delete(orders.doc('orders/b4')),
      ];
      await writer.close();
      await Promise.all(results);
      assert.deepEqual(await emulator.get('orders/b1'), {n: 1});
      assert.deepEqual(await emulator.get('orders/b2'), {n: 2});
      assert.deepEqual(await emulator.get('orders/b3'), {n: 30});
      assert.equal(await emulator.get('orders/b4'), null);

      const before = await emulator.snapshot();
      const refusedWriter = orders.bulkWriter({throttling: false});
      refusedWriter.onWriteError(() => false);
      const refused = [
        refusedWriter.set(orders.doc('orders/b5'), {n: 5}),
        refusedWriter.set(orders.doc('secrets/b6'), {n: 6}),
        refusedWriter.delete(orders.doc('orders/b1')),
      ];
      await refusedWriter.close();
      const outcomes = await Promise.allSettled(refused);
      assert.deepEqual(
        outcomes.map(o => (o.status === 'rejected' ? rpcCode(o.reason) : 'fulfilled')),
        [7, 7, 7]
      );
      assert.deepEqual(await emulator.snapshot(), before, 'the emulator changed');
    });

    test('listCollections', BOUNDED, async () => {
      await emulator.put('orders/l1/items/i1', {n: 1});
      await emulator.put('orders/l1/notes/n1', {n: 1});
      const ids = (await orders.doc('orders/l1').listCollections()).map(c => c.id).sort();
      assert.deepEqual(ids, ['items', 'notes']);
      // The root's collections (list_collections on *) are granted to nobody.
      await assertRefused(emulator, () => orders.listCollections());
      await assertRefused(emulator, () => analytics.doc('orders/l1').listCollections());
    });

    test('listDocuments', BOUNDED, async () => {
      await emulator.put('orders/d1/lines/x', {n: 1});
      await emulator.put('orders/d1/lines/y', {n: 2});
      const ids = (await orders.collection('orders/d1/lines').listDocuments()).map(r => r.id).sort();
      assert.deepEqual(ids, ['x', 'y']);
      await assertRefused(emulator, () => analytics.collection('orders/d1/lines').listDocuments());
      await assertRefused(emulator, () => orders.collection('secrets').listDocuments());
    });

    if (mode === 'fixed') {
      test('fixed mode: the identity is the sidecar configuration, whatever the app sends', BOUNDED, async () => {
        // An app cannot claim another identity: an XFCC header is ignored and
        // not forwarded; the access log shows the fixed identity.
        const forged = sdkClient({
          port: endpoints.ordersFirewarden.port,
          project,
          customHeaders: {'x-forwarded-client-cert': `URI=${ANALYTICS_ID}`},
        });
        try {
          await forged.doc('orders/f1').set({by: 'orders'});
          assert.deepEqual(await emulator.get('orders/f1'), {by: 'orders'});
        } finally {
          await forged.terminate();
        }
        const forgedWrite = line => (line.document_paths || []).some(doc => doc.endsWith('orders/f1'));
        const lines = await endpoints.ordersFirewarden.settledAccessLog(lines => lines.some(forgedWrite));
        assert.ok(lines.some(forgedWrite), 'the forged write has no access line');
        assert.ok(lines.every(line => line.identity === ORDERS_ID));
      });

      test('fixed mode: FIRESTORE_EMULATOR_HOST and apiEndpoint + port reach the sidecar too', BOUNDED, async () => {
        // docs/clients.md names three ways to point the SDK at the sidecar;
        // host + ssl: false is the one every other test uses.
        const port = endpoints.ordersFirewarden.port;
        process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${port}`;
        let viaEnvironment;
        try {
          viaEnvironment = sdkClient({project, settings: {host: undefined, ssl: undefined}});
        } finally {
          delete process.env.FIRESTORE_EMULATOR_HOST; // read when the client is made
        }
        const viaApiEndpoint = sdkClient({project, settings: {host: undefined, apiEndpoint: '127.0.0.1', port}});
        try {
          await viaEnvironment.doc('orders/env').set({via: 'FIRESTORE_EMULATOR_HOST'});
          await viaApiEndpoint.doc('orders/endpoint').set({via: 'apiEndpoint'});
          assert.deepEqual(await emulator.get('orders/env'), {via: 'FIRESTORE_EMULATOR_HOST'});
          assert.deepEqual(await emulator.get('orders/endpoint'), {via: 'apiEndpoint'});
          await assertRefused(emulator, () => viaEnvironment.doc('secrets/env').set({v: 1}));
          await assertRefused(emulator, () => viaApiEndpoint.doc('secrets/endpoint').set({v: 1}));
        } finally {
          await Promise.allSettled([viaEnvironment.terminate(), viaApiEndpoint.terminate()]);
        }
      });
    } else {
      test('xfcc mode: without the trusted hop there is no identity (UNAUTHENTICATED)', BOUNDED, async () => {
        // Straight to firewarden from 127.0.0.1 (not a trusted peer), once
        // without and once with a forged header.
        const direct = sdkClient({port: endpoints.firewarden.port, project});
        const forged = sdkClient({
          port: endpoints.firewarden.port,
          project,
          customHeaders: {'x-forwarded-client-cert': `URI=${ORDERS_ID}`},
        });
        try {
          await assertRefused(emulator, () => direct.doc('orders/x1').set({v: 1}), UNAUTHENTICATED);
          await assertRefused(emulator, () => forged.doc('orders/x1').set({v: 1}), UNAUTHENTICATED);
          await assertRefused(emulator, () => forged.doc('orders/r1').get(), UNAUTHENTICATED);
        } finally {
          await Promise.allSettled([direct.terminate(), forged.terminate()]);
        }
      });
    }
  });
}

// A write-only workload through the real @google-cloud/firestore SDK
// (preferRest: true) and firewarden (fixed mode) to the emulator. What a
// write returns is a read: firewarden cuts the responses of its writes to what
// carries no document data (a Commit loses its transformResults). The SDK's
// writes use Commit (and BatchWrite for BulkWriter) and must keep working on
// the cut responses; its reads stay refused.
//
//   FIREWARDEN_BINARY=build/firewarden node --test tests/e2e/node/write_only.test.js
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {after, before, describe, test} = require('node:test');

const {
  EmulatorView,
  ORDERS_ID,
  PERMISSION_DENIED,
  httpRequest,
  requireModules,
  rpcCode,
  sdkClient,
  startEmulator,
  startFirewarden,
  tempDir,
} = require('./harness');

const INGEST_ID = 'spiffe://cluster.local/ns/ingest/sa/loader';
const BOUNDED = {timeout: 90000};

// ingest writes events and may read nothing; orders owns events.
const POLICY = `version: 1
rules:
  - name: ingest-writes-events
    subjects: {namespaces: [ingest]}
    collections: [events]
    actions: [write]
  - name: ingest-never-reads
    effect: deny
    subjects: {namespaces: [ingest]}
    collections: ["**"]
    actions: [read]
  - name: orders-own-events
    subjects: {namespaces: [orders]}
    collections: [events]
    actions: [read, write]
`;

describe('write-only caller', () => {
  const project = `e2e-write-only-${process.pid}`;
  const stops = [];
  let emulator;
  let ingest; // SDK client of the write-only workload
  let ingestFirewarden;
  let ownerFirewarden;

  before(async () => {
    const dir = tempDir('write-only-policy');
    stops.push(async () => fs.rmSync(dir, {recursive: true, force: true}));
    const policyFile = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policyFile, POLICY);
    const emu = await startEmulator();
    stops.push(emu.stop);
    emulator = new EmulatorView(emu.port, project);
    ingestFirewarden = await startFirewarden({mode: 'fixed', fixedId: INGEST_ID, project, emulatorPort: emu.port, policyFile});
    stops.push(ingestFirewarden.stop);
    ownerFirewarden = await startFirewarden({mode: 'fixed', fixedId: ORDERS_ID, project, emulatorPort: emu.port, policyFile});
    stops.push(ownerFirewarden.stop);
    ingest = sdkClient({port: ingestFirewarden.port, project});
  });

  after(async () => {
    if (ingest) await ingest.terminate();
    for (const stop of stops.reverse()) await stop();
  });

  test('set, update, create and increment work and reach the emulator', BOUNDED, async () => {
    const {firestore} = requireModules();
    const ref = ingest.doc('events/e1');
    const written = await ref.set({kind: 'click', count: 1});
    assert.ok(written.writeTime.toMillis() > 0, 'a write time from the cut response');
    assert.deepEqual(await emulator.get('events/e1'), {kind: 'click', count: 1});

    await ref.update({kind: 'view', count: firestore.FieldValue.increment(41)});
    assert.deepEqual(await emulator.get('events/e1'), {kind: 'view', count: 42});

    // An increment by 0 through the SDK: its transform result is what
    // firewarden cuts; the SDK does not need it.
    const unchanged = await ref.update({count: firestore.FieldValue.increment(0), seenAt: firestore.FieldValue.serverTimestamp()});
    assert.ok(unchanged.writeTime.toMillis() >= written.writeTime.toMillis());
    const stored = await emulator.get('events/e1');
    assert.equal(stored.count, 42);
    assert.equal(typeof stored.seenAt, 'string');

    await ingest.doc('events/e2').create({kind: 'new'});
    assert.deepEqual(await emulator.get('events/e2'), {kind: 'new'});

    const batch = ingest.batch();
    batch.set(ingest.doc('events/e3'), {n: 3});
    batch.update(ingest.doc('events/e2'), {n: firestore.FieldValue.increment(2)});
    const results = await batch.commit();
    assert.equal(results.length, 2);
    assert.deepEqual(await emulator.get('events/e3'), {n: 3});
    assert.deepEqual(await emulator.get('events/e2'), {kind: 'new', n: 2});
  });

  test('BulkWriter (batchWrite) works on cut responses', BOUNDED, async () => {
    const {firestore} = requireModules();
    const writer = ingest.bulkWriter({throttling: false});
    const results = [
      writer.set(ingest.doc('events/b1'), {n: 1}),
      writer.create(ingest.doc('events/b2'), {n: firestore.FieldValue.increment(5)}),
    ];
    await writer.close();
    for (const result of await Promise.all(results)) assert.ok(result.writeTime.toMillis() > 0);
    assert.deepEqual(await emulator.get('events/b1'), {n: 1});
    assert.deepEqual(await emulator.get('events/b2'), {n: 5});
  });

  test('reads stay refused', BOUNDED, async () => {
    await emulator.put('events/r1', {secret: 'hidden'});
    await assert.rejects(ingest.doc('events/r1').get(), error => {
      assert.equal(rpcCode(error), PERMISSION_DENIED, error.message);
      return true;
    });
  });

  test('the Commit response the SDK gets carries no transform results; the owner\'s does', BOUNDED, async () => {
    await emulator.put('events/c1', {count: 1337});
    const commit = fw =>
      httpRequest({
        port: fw.port,
        method: 'POST',
        path: `${emulator.documents}:commit`,
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({
          writes: [
            {
              transform: {
                document: `projects/${project}/databases/(default)/documents/events/c1`,
                fieldTransforms: [{fieldPath: 'count', increment: {integerValue: '0'}}],
              },
            },
          ],
        }),
      });
    const cut = await commit(ingestFirewarden);
    assert.equal(cut.status, 200, cut.body);
    const body = JSON.parse(cut.body);
    assert.deepEqual(Object.keys(body.writeResults[0]), ['updateTime']);
    assert.ok(!cut.body.includes('1337'), cut.body);

    const full = await commit(ownerFirewarden);
    assert.equal(full.status, 200, full.body);
    assert.equal(JSON.parse(full.body).writeResults[0].transformResults[0].integerValue, '1337');
  });
});

#!/usr/bin/env node
// The Node.js Firestore SDK in its default gRPC mode (no preferRest) running
// the operation list every gRPC SDK client of the end-to-end tests runs
// (tests/e2e/node/grpc_sdk.test.js drives them; docs/clients.md shows the
// settings). One JSON line per operation on stdout:
//   {"sdk":"node","op":"set","expect":"ok","outcome":"ok","code":0}
// and exit status 1 when any outcome is not the expected one.
//
//   node grpc-client.js --target 127.0.0.1:PORT --project ID [--run ID] [--expect-denied]
//                       [--ca ca.pem --cert svid.pem --key svid.key] [--pause-ms N]
//
// --target defaults to $FIRESTORE_EMULATOR_HOST. Without --ca the channel is
// plaintext HTTP/2 (h2c), as to the emulator or a sidecar; with it, TLS with the
// client certificate (mtls). --expect-denied adds the operations that
// tests/e2e/policy.yaml denies to spiffe://cluster.local/ns/orders/sa/orders-api,
// each of which must fail with gRPC code 7 (PERMISSION_DENIED). --pause-ms waits
// after each result line (capture-grpc.js attributes messages by them).
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');

const PERMISSION_DENIED = 7;

function parseArgs(argv) {
  const opts = {target: process.env.FIRESTORE_EMULATOR_HOST, run: crypto.randomBytes(4).toString('hex'), expectDenied: false};
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--target') opts.target = value();
    else if (flag === '--project') opts.project = value();
    else if (flag === '--run') opts.run = value();
    else if (flag === '--expect-denied') opts.expectDenied = true;
    else if (flag === '--ca') opts.ca = value();
    else if (flag === '--cert') opts.cert = value();
    else if (flag === '--key') opts.key = value();
    else if (flag === '--pause-ms') opts.pauseMs = Number(value());
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!opts.target || !opts.project) throw new Error('--target (or FIRESTORE_EMULATOR_HOST) and --project are required');
  if (Boolean(opts.ca) !== Boolean(opts.cert) || Boolean(opts.cert) !== Boolean(opts.key)) {
    throw new Error('mtls needs all of --ca, --cert and --key');
  }
  return opts;
}

// The SDK must not look for Google credentials: plaintext talks to the
// emulator's "owner" convention, mtls authenticates by certificate only.
function client(opts) {
  delete process.env.FIRESTORE_EMULATOR_HOST; // it would override `host`
  delete process.env.FIRESTORE_PREFER_REST;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const {Firestore} = require('@google-cloud/firestore');
  const settings = {projectId: opts.project, host: opts.target};
  if (opts.ca) {
    // sslCreds replaces the SDK's Google credentials (google-gax uses them as
    // the channel's credentials and adds no call credentials).
    const {grpc} = require('google-gax');
    settings.sslCreds = grpc.credentials.createSsl(fs.readFileSync(opts.ca), fs.readFileSync(opts.key), fs.readFileSync(opts.cert));
  } else {
    settings.ssl = false;
  }
  return new Firestore(settings);
}

function check(condition, what) {
  if (!condition) throw new Error(`unexpected result: ${what}`);
}

// The operation list, in order; each returns nothing or throws.
function operations(db, run) {
  const {FieldValue, AggregateField} = require('@google-cloud/firestore');
  const order = db.doc(`orders/${run}-1`);
  const item = db.doc(`orders/${run}-1/items/i1`);
  const mine = db.collection('orders').where('run', '==', run);
  let setTime;
  return [
    ['set', async () => {
      setTime = (await order.set({status: 'open', total: 10, run})).writeTime;
    }],
    ['create', () => item.create({price: 3, run})],
    ['update-precondition', () => order.update({status: 'paid'}, {lastUpdateTime: setTime})],
    ['increment', () => order.update({total: FieldValue.increment(5)})],
    ['get', async () => {
      const data = (await order.get()).data();
      check(data && data.status === 'paid' && data.total === 15, JSON.stringify(data));
    }],
    ['getAll', async () => {
      const found = await db.getAll(order, db.doc(`orders/${run}-missing`));
      check(found.map(s => s.exists).join() === 'true,false', 'exists flags');
    }],
    ['query', async () => {
      const docs = (await mine.where('status', '==', 'paid').get()).docs;
      check(docs.length === 1 && docs[0].id === `${run}-1`, `${docs.length} documents`);
    }],
    ['collectionGroup', async () => {
      const docs = (await db.collectionGroup('items').where('run', '==', run).get()).docs;
      check(docs.length === 1 && docs[0].ref.path === item.path, `${docs.length} documents`);
    }],
    ['aggregate', async () => {
      const sums = (await mine.aggregate({n: AggregateField.count(), total: AggregateField.sum('total')}).get()).data();
      check(sums.n === 1 && sums.total === 15, JSON.stringify(sums));
    }],
    ['listCollections', async () => {
      const ids = (await order.listCollections()).map(c => c.id);
      check(ids.join() === 'items', ids.join());
    }],
    ['listDocuments', async () => {
      const ids = (await db.collection(`orders/${run}-1/items`).listDocuments()).map(d => d.id);
      check(ids.join() === 'i1', ids.join());
    }],
    ['runTransaction', async () => {
      await db.runTransaction(async t => {
        const total = (await t.get(order)).get('total');
        t.update(order, {total: total + 1});
        t.create(db.doc(`orders/${run}-t`), {from: `${run}-1`});
      });
    }],
    // Two transactions read the same document, then both write it: the
    // emulator (like Firestore) aborts one with ABORTED and the SDK retries it.
    ['runTransaction-retry', async () => {
      const counter = db.doc(`orders/${run}-r`);
      await counter.set({n: 0});
      let attempts = 0;
      let reads = 0;
      let bothRead;
      const readTogether = new Promise(resolve => (bothRead = resolve));
      const increment = () =>
        db.runTransaction(async t => {
          attempts++;
          const n = (await t.get(counter)).get('n');
          if (++reads === 2) bothRead();
          await Promise.race([readTogether, new Promise(resolve => setTimeout(resolve, 2000))]);
          t.update(counter, {n: n + 1});
        });
      await Promise.all([increment(), increment()]);
      const n = (await counter.get()).get('n');
      check(n === 2 && attempts > 2, `n=${n} after ${attempts} attempts`);
    }],
    ['bulkWriter', async () => {
      const writer = db.bulkWriter({throttling: false});
      const done = [
        writer.create(db.doc(`orders/${run}-b1`), {n: 1}),
        writer.set(db.doc(`orders/${run}-b2`), {n: 2}),
      ];
      await writer.flush();
      done.push(writer.update(db.doc(`orders/${run}-b1`), {n: 10}), writer.delete(db.doc(`orders/${run}-b2`)));
      await writer.close();
      await Promise.all(done);
    }],
    ['delete', () => db.doc(`orders/${run}-t`).delete({exists: true})],
  ];
}

// What tests/e2e/policy.yaml denies the orders workload.
function deniedOperations(db, run) {
  return [
    ['denied-write', () => db.doc(`secrets/${run}-w`).set({leak: true})],
    ['denied-read', () => db.doc(`secrets/${run}-seed`).get()],
    ['denied-query', () => db.collection('secrets').where('run', '==', run).get()],
  ];
}

let pauseMs = 0;

async function runOne(name, expect, operation) {
  let outcome = 'ok';
  let code = 0;
  let message;
  let timer;
  try {
    // Bounded, so that an unreachable target ends the run in minutes, not hours.
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 20 s')), 20000)));
    await Promise.race([operation(), timeout]);
  } catch (error) {
    code = typeof error.code === 'number' ? error.code : -1;
    outcome = code === PERMISSION_DENIED ? 'denied' : 'error';
    message = String(error.message).split('\n')[0];
  } finally {
    clearTimeout(timer);
  }
  console.log(JSON.stringify({sdk: 'node', op: name, expect, outcome, code, ...(message ? {message} : {})}));
  if (pauseMs) await new Promise(resolve => setTimeout(resolve, pauseMs));
  return outcome === expect;
}

async function main() {
  const opts = parseArgs(process.argv);
  pauseMs = opts.pauseMs || 0;
  const db = client(opts);
  let surprises = 0;
  let unreachable = false;
  try {
    for (const [name, operation] of operations(db, opts.run)) {
      if (await runOne(name, 'ok', operation)) continue;
      surprises++;
      // A failed first operation means an unreachable or misconfigured
      // target: stop instead of waiting out every operation's bound.
      unreachable = name === 'set';
      if (unreachable) break;
    }
    if (opts.expectDenied && !unreachable) {
      for (const [name, operation] of deniedOperations(db, opts.run)) {
        if (!(await runOne(name, 'denied', operation))) surprises++;
      }
    }
  } finally {
    // terminate() would wait for the calls still retrying an unreachable target.
    if (!unreachable) await db.terminate();
  }
  console.log(JSON.stringify({sdk: 'node', run: opts.run, surprises}));
  if (unreachable) process.exit(1);
  process.exitCode = surprises === 0 ? 0 : 1;
}

if (require.main === module) {
  main().catch(error => {
    console.error(error.stack || String(error));
    process.exitCode = 2;
  });
}

// listen.test.js makes its SDK clients the way this program does.
module.exports = {client};

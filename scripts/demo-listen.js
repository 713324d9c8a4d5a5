#!/usr/bin/env node
// Part of scripts/demo: real-time listeners of the Node.js Firestore SDK
// (onSnapshot, one Listen stream each) through firewarden in mtls mode. One
// workload (its client SVID) listens to a collection its policy lets it read
// and to one it may not; another workload then writes a document the first
// listener sees live.
//
//   node scripts/demo-listen.js HOST:PORT PROJECT CA LISTENER_CERT LISTENER_KEY WRITER_CERT WRITER_KEY \
//        ALLOWED_COLLECTION DENIED_COLLECTION NEW_DOCUMENT
'use strict';

const fs = require('node:fs');

const WAIT_MS = 10000;

function client(target, project, ca, cert, key) {
  const {Firestore} = require('@google-cloud/firestore');
  const {grpc} = require('google-gax');
  const [host, port] = target.split(':');
  return new Firestore({
    projectId: project,
    host,
    port: Number(port),
    sslCreds: grpc.credentials.createSsl(fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert)),
  });
}

// Resolves when `accept(snapshot)` holds for a snapshot, rejects on the
// listener's error or after WAIT_MS.
function until(listener, accept, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in ${WAIT_MS} ms`)), WAIT_MS);
    listener.waiters.push({accept, resolve: value => (clearTimeout(timer), resolve(value)), reject});
    listener.check();
  });
}

function listen(ref) {
  const listener = {snapshots: [], error: null, waiters: []};
  listener.check = () => {
    for (const waiter of [...listener.waiters]) {
      const found = listener.snapshots.find(waiter.accept);
      if (!found && !listener.error) continue;
      listener.waiters.splice(listener.waiters.indexOf(waiter), 1);
      if (found) waiter.resolve(found);
      else waiter.reject(listener.error);
    }
  };
  listener.stop = ref.onSnapshot(
    snapshot => (listener.snapshots.push(snapshot), listener.check()),
    error => ((listener.error = error), listener.check()));
  return listener;
}

const ids = snapshot => snapshot.docs.map(doc => doc.id).join(', ') || '(none)';

async function main() {
  const [target, project, ca, listenerCert, listenerKey, writerCert, writerKey, allowed, denied, newDoc] =
    process.argv.slice(2);
  process.env.METADATA_SERVER_DETECTION = 'none'; // the SDK holds no Google credentials
  const reader = client(target, project, ca, listenerCert, listenerKey);
  const writer = client(target, project, ca, writerCert, writerKey);
  const live = listen(reader.collection(allowed));
  const refused = listen(reader.collection(denied));
  try {
    const first = await until(live, () => true, 'first snapshot');
    console.log(`  onSnapshot ${allowed}: ${first.size} document(s): ${ids(first)}`);
    try {
      await until(refused, () => true, 'answer');
      console.log(`  onSnapshot ${denied}: a snapshot (unexpected)`);
      process.exitCode = 1;
    } catch (error) {
      if (!refused.error) throw error; // no answer at all
      // The SDK reports a removed target as "Error <code>: <cause>".
      console.log(`  onSnapshot ${denied}: error callback, ${String(error.message).slice(0, 160)}`);
    }
    await writer.doc(newDoc).set({total: 7});
    const id = newDoc.split('/').pop();
    const next = await until(live, snapshot => snapshot.docs.some(doc => doc.id === id), `snapshot with ${id}`);
    console.log(`  another workload writes ${newDoc}; the ${allowed} listener, still live: ${ids(next)}`);
  } finally {
    live.stop();
    refused.stop();
    await Promise.all([reader.terminate(), writer.terminate()]);
  }
}

main().catch(error => {
  console.error(`  listener demo failed: ${error.message}`);
  process.exitCode = 1;
});

// A raw google.firestore.v1.Firestore client for the streams no SDK lets a
// test drive message by message (Write): @grpc/grpc-js and
// @grpc/proto-loader, both from the Node SDK's dependency tree, with the
// .proto files the @google-cloud/firestore npm package ships. Messages are
// plain objects with camelCase field names (proto-loader's default).
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTOS = path.join(path.dirname(require.resolve('@google-cloud/firestore/package.json')), 'build/protos');

let service;
function firestoreService() {
  if (!service) {
    const definition = protoLoader.loadSync('google/firestore/v1/firestore.proto', {
      includeDirs: [PROTOS],
      longs: String,
      enums: String,
      oneofs: true,
    });
    service = grpc.loadPackageDefinition(definition).google.firestore.v1.Firestore;
  }
  return service;
}

// rawFirestore({target, project}): a plaintext (h2c) client, as the SDKs
// reach the emulator or a sidecar. database is the resource name every
// message names; metadata() is what the SDKs send with a call (the emulator's
// admin token, which firewarden drops and replaces with its own).
function rawFirestore({target, project}) {
  const Firestore = firestoreService();
  const database = `projects/${project}/databases/(default)`;
  const client = new Firestore(target, grpc.credentials.createInsecure());
  const metadata = () => {
    const m = new grpc.Metadata();
    m.set('authorization', 'Bearer owner');
    m.set('google-cloud-resource-prefix', database);
    m.set('x-goog-request-params', `database=${encodeURIComponent(database)}`);
    return m;
  };
  return {client, database, documents: `${database}/documents`, metadata, close: () => client.close()};
}

// A bidirectional call read one message at a time: next(timeoutMs) resolves
// the next response, or rejects with the call's status error (error.code)
// once it has ended, or after timeoutMs.
function messageQueue(call) {
  const messages = [];
  const waiters = [];
  let ended = null; // the error the call ended with, or {code: 0} at a clean end
  const wake = () => {
    while (waiters.length && (messages.length || ended)) {
      const {resolve, reject, timer} = waiters.shift();
      clearTimeout(timer);
      if (messages.length) resolve(messages.shift());
      else reject(ended);
    }
  };
  call.on('data', message => {
    messages.push(message);
    wake();
  });
  call.on('error', error => {
    ended = error;
    wake();
  });
  call.on('end', () => {
    ended ??= Object.assign(new Error('the call ended'), {code: grpc.status.OK});
    wake();
  });
  return {
    next: (timeoutMs = 10000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex(w => w.timer === timer), 1);
          reject(new Error(`no message and no status in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({resolve, reject, timer});
        wake();
      }),
  };
}

module.exports = {grpc, messageQueue, rawFirestore};

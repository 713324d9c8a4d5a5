// A small gRPC relay for google.firestore.v1.Firestore in front of the
// emulator, built on @grpc/grpc-js (from the Node SDK's dependency tree) with
// identity (de)serializers: request and response messages pass as raw bytes,
// never decoded. It serves
//   - plaintext h2c, recording each request message (scripts/capture-grpc-fixtures),
//   - or TLS requiring a client certificate signed by the given CA (the mtls
//     smoke tests: each SDK's mtls settings, checked before firewarden is), and
//     notes the URI SAN of every client certificate it saw;
// and, given refuse(), answers the requests it picks with PERMISSION_DENIED
// instead of forwarding them (the SDKs' handling of a denial, before
// firewarden can deny over gRPC).
// Upstream it sets the emulator's admin token "Bearer owner" on every call, as
// firewarden sets its own. Listen and Write (bidirectional) are not relayed:
// grpc-js answers UNIMPLEMENTED. Binds 127.0.0.1 only.
'use strict';

const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');

const SERVICE = 'google.firestore.v1.Firestore';
// Each RPC the relay forwards and whether its response is a stream
// (googleapis google/firestore/v1/firestore.proto).
const RPCS = {
  GetDocument: false,
  ListDocuments: false,
  UpdateDocument: false,
  DeleteDocument: false,
  BatchGetDocuments: true,
  BeginTransaction: false,
  Commit: false,
  Rollback: false,
  RunQuery: true,
  RunAggregationQuery: true,
  PartitionQuery: false,
  ListCollectionIds: false,
  BatchWrite: false,
  CreateDocument: false,
  ExecutePipeline: true,
};
const raw = bytes => bytes;
// Transport-level and caller credentials: not relayed.
const DROPPED = ['authorization', 'content-type', 'te', 'user-agent', 'grpc-accept-encoding', 'grpc-encoding', 'grpc-timeout', 'host'];

function upstreamMetadata(incoming) {
  const metadata = incoming.clone();
  for (const key of DROPPED) metadata.remove(key);
  metadata.set('authorization', 'Bearer owner');
  return metadata;
}

const DENIED = {code: grpc.status.PERMISSION_DENIED, details: 'refused by the test relay'};

// Handlers for one RPC: note the caller, record the request, forward it
// (unless onCall says it is refused).
function handler(client, rpc, streaming, onCall) {
  const path = `/${SERVICE}/${rpc}`;
  if (!streaming) {
    return (call, callback) => {
      if (!onCall(rpc, call)) return callback(DENIED);
      client.makeUnaryRequest(path, raw, raw, call.request, upstreamMetadata(call.metadata), {deadline: call.getDeadline()}, callback);
    };
  }
  return call => {
    if (!onCall(rpc, call)) {
      // Headers first, then the status, as firewarden answers a refused
      // server-streaming call (the Node SDK retries a trailers-only one).
      call.sendMetadata(new grpc.Metadata());
      call.emit('error', DENIED);
      return;
    }
    const upstream = client.makeServerStreamRequest(path, raw, raw, call.request, upstreamMetadata(call.metadata), {deadline: call.getDeadline()});
    upstream.on('data', message => call.write(message));
    upstream.on('error', error => call.emit('error', error));
    upstream.on('end', () => call.end());
    call.on('cancelled', () => upstream.cancel());
  };
}

// startRelay({upstreamPort, tls, record, refuse}): tls is devCertificates()
// (serve server.pem, require a client certificate signed by ca.pem) or null for
// plaintext; record(rpc, bytes) gets every request message; a request for
// which refuse(rpc, bytes) is true is answered PERMISSION_DENIED.
async function startRelay({upstreamPort, tls = null, record = () => {}, refuse = () => false}) {
  const client = new grpc.Client(`127.0.0.1:${upstreamPort}`, grpc.credentials.createInsecure());
  const peers = new Set();
  let refused = 0;
  const onCall = (rpc, call) => {
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (certificate && certificate.subjectaltname) peers.add(certificate.subjectaltname);
    record(rpc, call.request);
    if (!refuse(rpc, call.request)) return true;
    refused++;
    return false;
  };
  const definition = {};
  const handlers = {};
  for (const [rpc, streaming] of Object.entries(RPCS)) {
    definition[rpc] = {
      path: `/${SERVICE}/${rpc}`,
      requestStream: false,
      responseStream: streaming,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    };
    handlers[rpc] = handler(client, rpc, streaming, onCall);
  }
  const server = new grpc.Server();
  server.addService(definition, handlers);
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(
      fs.readFileSync(tls.file('ca.pem')),
      [{private_key: fs.readFileSync(tls.file('server.key')), cert_chain: fs.readFileSync(tls.file('server.pem'))}],
      true) // a client certificate is required
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    port,
    // The URI SANs (as "URI:spiffe://…") of the client certificates seen.
    peers: () => [...peers],
    refused: () => refused,
    stop: () =>
      new Promise(resolve => {
        client.close();
        server.tryShutdown(() => resolve());
      }),
  };
}

module.exports = {RPCS, SERVICE, startRelay};

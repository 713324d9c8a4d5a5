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
//
// startXfccRelay below is the other relay: the Istio sidecar in front of
// firewarden in xfcc mode (see its comment).
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http2 = require('node:http2');
const net = require('node:net');
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

// ---------------------------------------------------------------------------
// The Istio sidecar in front of firewarden in xfcc mode: it terminates TLS,
// requiring a client certificate signed by ca.pem, and forwards every HTTP/2
// stream (gRPC of any kind, Listen and Write included) over h2c to firewarden
// from `localAddress` (the peer firewarden trusts). Like Envoy with
// forward_client_cert_details: SANITIZE_SET, it removes every
// x-forwarded-client-cert the client sent and sets its own for the client's
// certificate: By=<its own URI SAN>;Hash=<SHA-256 of the client certificate,
// hex>;Subject="<its subject>";URI=<its URI SAN>. Frames are relayed as they
// come (stream.pipe: a slow reader slows its stream), trailers included.
// ---------------------------------------------------------------------------
const {HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_INTERNAL_ERROR} = http2.constants;
const XFCC = 'x-forwarded-client-cert';
// A 127.0.0.0/8 address other than 127.0.0.1, so that only the relay's
// connections come from the trusted peer (every other client is 127.0.0.1).
const RELAY_ADDRESS = '127.0.0.2';

function uriSans(certificate) {
  return (certificate.subjectaltname || '')
    .split(', ')
    .filter(name => name.startsWith('URI:'))
    .map(name => name.slice('URI:'.length));
}

// The XFCC element Envoy sets for a verified client certificate (`own` is
// the relay's certificate); null when the client's has not exactly one URI SAN.
function xfccElement(own, peer) {
  const [uri, ...more] = uriSans(peer);
  if (!uri || more.length) return null;
  const hash = crypto.createHash('sha256').update(peer.raw).digest('hex');
  // RFC 2253 order: the most specific RDN first.
  const subject = new crypto.X509Certificate(peer.raw).subject.split('\n').reverse().join(',');
  return `By=${uriSans(own)[0]};Hash=${hash};Subject="${subject}";URI=${uri}`;
}

// A request's header fields, each name with the list of its values as the
// client sent them: a repeated field stays repeated upstream (the Go SDK
// sends x-goog-request-params twice), where Node's header object would have
// joined the values into one field.
function fieldLists(rawHeaders) {
  const fields = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) (fields[rawHeaders[i]] ??= []).push(rawHeaders[i + 1]);
  return fields;
}

// startXfccRelay({upstreamPort, tls, localAddress}): tls is devCertificates().
async function startXfccRelay({upstreamPort, tls, localAddress = RELAY_ADDRESS}) {
  const peers = new Set();
  const forwarded = []; // every x-forwarded-client-cert value sent upstream
  const received = []; // every x-forwarded-client-cert a client sent
  let upstream = null;
  const session = () => {
    if (upstream && !upstream.closed && !upstream.destroyed) return upstream;
    upstream = http2.connect(`http://127.0.0.1:${upstreamPort}`, {
      createConnection: () => net.connect({host: '127.0.0.1', port: upstreamPort, localAddress}),
    });
    upstream.on('error', () => {}); // each stream reports its own failure
    return upstream;
  };
  const server = http2.createSecureServer({
    key: fs.readFileSync(tls.file('server.key')),
    cert: fs.readFileSync(tls.file('server.pem')),
    ca: fs.readFileSync(tls.file('ca.pem')),
    requestCert: true,
    rejectUnauthorized: true, // no client certificate, no TLS session
  });
  server.on('stream', (stream, headers, flags, rawHeaders) => {
    const socket = stream.session.socket;
    const peer = socket.getPeerCertificate();
    const element = xfccElement(socket.getCertificate(), peer);
    for (const uri of uriSans(peer)) peers.add(`URI:${uri}`);
    if (headers[XFCC] !== undefined) received.push(headers[XFCC]);
    if (!element) {
      stream.respond({[HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc', 'grpc-status': '16'}, {endStream: true});
      return;
    }
    // h2c upstream; every other header (gRPC metadata) as the client sent it.
    const outgoing = {...fieldLists(rawHeaders), ':scheme': 'http', [XFCC]: element};
    forwarded.push(element);
    relayStream(stream, session().request(outgoing));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const sessions = new Set();
  server.on('session', s => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  return {
    port: server.address().port,
    peers: () => [...peers],
    forwarded: () => [...forwarded],
    received: () => [...received],
    stop: () =>
      new Promise(resolve => {
        for (const s of sessions) s.destroy();
        if (upstream) upstream.destroy();
        server.close(() => resolve());
      }),
  };
}

// One client stream relayed to one upstream stream, both ways.
function relayStream(stream, request) {
  stream.pipe(request);
  let trailers = null;
  request.on('response', (headers, flags) => {
    if (stream.destroyed) return;
    if (flags & NGHTTP2_FLAG_END_STREAM) {
      stream.respond(headers, {endStream: true}); // trailers-only
      return;
    }
    stream.respond(headers, {waitForTrailers: true});
    request.pipe(stream);
  });
  request.on('trailers', headers => (trailers = headers));
  stream.on('wantTrailers', () => {
    if (trailers) stream.sendTrailers(trailers);
    else stream.close(NGHTTP2_INTERNAL_ERROR); // upstream ended without a status
  });
  // A reset on either side resets the other.
  request.on('close', () => {
    if (!stream.destroyed && request.rstCode && request.rstCode !== 0) stream.close(request.rstCode);
  });
  request.on('error', () => {
    if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
  });
  stream.on('close', () => {
    if (!request.destroyed) request.close(NGHTTP2_CANCEL);
  });
  stream.on('error', () => {});
}

module.exports = {RELAY_ADDRESS, RPCS, SERVICE, startRelay, startXfccRelay};

#!/usr/bin/env node
// Capture the REST requests that the real @google-cloud/firestore Node.js SDK
// (preferRest: true) sends, by pointing it at a small recording HTTP proxy that
// forwards everything to a Firestore emulator. Each request becomes one JSON
// fixture file (see tests/fixtures/sdk/README.md).
//
//   node capture-requests.js --emulator 127.0.0.1:PORT --out ../../fixtures/sdk
//
// Options:
//   --emulator HOST:PORT  Firestore emulator to forward to (required).
//   --out DIR             Fixture directory (default: ../../fixtures/sdk, relative
//                         to this file). Existing *.json files there are replaced.
//   --project ID          Project id (default: fixture-project).
//   --step-timeout MS     Upper bound for a single scenario step (default 20000).
//   --verbose             Print every request/response line.
//
// Only loopback addresses are used: the proxy binds 127.0.0.1 on an ephemeral
// port and the emulator must be given as a loopback host.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = {
    emulator: null,
    out: path.resolve(__dirname, '../../fixtures/sdk'),
    project: 'fixture-project',
    stepTimeout: 20000,
    verbose: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === '--emulator') opts.emulator = next();
    else if (a === '--out') opts.out = path.resolve(next());
    else if (a === '--project') opts.project = next();
    else if (a === '--step-timeout') opts.stepTimeout = Number(next());
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 17).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!opts.emulator) throw new Error('--emulator HOST:PORT is required');
  const m = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)$/.exec(opts.emulator);
  if (!m) throw new Error('--emulator must be a loopback HOST:PORT');
  opts.emulatorHost = m[1] === '[::1]' ? '::1' : m[1];
  opts.emulatorPort = Number(m[2]);
  return opts;
}

const opts = parseArgs(process.argv);

// Never let google-auth-library / gcp-metadata probe a metadata server: this
// script must only ever talk to loopback.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GCE_METADATA_HOST = '127.0.0.1:9';
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
delete process.env.FIRESTORE_PREFER_REST;

// ---------------------------------------------------------------------------
// Recording proxy
// ---------------------------------------------------------------------------
// Headers copied into fixtures (everything else is volatile or transport noise;
// the full list of header names seen is printed at the end of a run).
const KEPT_HEADERS = [
  'authorization',
  'content-type',
  'content-encoding',
  'google-cloud-resource-prefix',
  'x-goog-api-client',
  'x-goog-request-params',
];

class RecordingProxy {
  constructor(upstreamHost, upstreamPort, verbose) {
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.verbose = verbose;
    this.records = [];
    this.currentStep = null;
    this.inflight = new Set();
    this.headerNamesSeen = new Map(); // lower-case name -> raw spelling
    this.agent = new http.Agent({keepAlive: true, maxSockets: 8});
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 2000;
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port));
    });
  }

  close() {
    this.agent.destroy();
    if (this.server.closeAllConnections) this.server.closeAllConnections();
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  handle(req, res) {
    const rec = {
      step: this.currentStep,
      method: req.method,
      target: req.url, // raw request-target, percent-encoding untouched
      rawHeaders: req.rawHeaders.slice(),
      headers: {...req.headers},
      body: null,
      status: null,
      responseBody: null,
    };
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const raw = req.rawHeaders[i];
      if (!this.headerNamesSeen.has(raw.toLowerCase())) {
        this.headerNamesSeen.set(raw.toLowerCase(), raw);
      }
    }
    this.records.push(rec);
    let done;
    const finished = new Promise(resolve => (done = resolve));
    this.inflight.add(finished);
    finished.then(() => this.inflight.delete(finished));

    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('error', () => done());
    req.on('end', () => {
      rec.body = Buffer.concat(chunks);
      const headers = {...req.headers};
      headers.host = `${this.upstreamHost}:${this.upstreamPort}`;
      const up = http.request(
        {
          host: this.upstreamHost,
          port: this.upstreamPort,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        upRes => {
          rec.status = upRes.statusCode;
          res.writeHead(upRes.statusCode, upRes.headers);
          const rchunks = [];
          upRes.on('data', c => {
            rchunks.push(c);
            res.write(c);
          });
          upRes.on('end', () => {
            rec.responseBody = Buffer.concat(rchunks).toString('utf8');
            res.end();
            if (this.verbose) {
              console.log(`  <- ${rec.status} ${rec.responseBody.slice(0, 200).replace(/\s+/g, ' ')}`);
            }
            done();
          });
          upRes.on('error', () => {
            res.destroy();
            done();
          });
        }
      );
      // The emulator hangs on a few requests (e.g. GET ...?transaction=); give
      // up well before the scenario's step timeout.
      up.setTimeout(8000, () => up.destroy(new Error('upstream timeout (no response in 8 s)')));
      up.on('error', err => {
        if (rec.status === null) {
          // upstream_status stays null: the emulator never answered
          rec.responseBody = `proxy error: ${err.message}`;
          if (!res.headersSent) {
            res.writeHead(502, {'content-type': 'text/plain'});
          }
        }
        res.end();
        done();
      });
      // If the SDK gives up on a response (e.g. cancels a stream), stop
      // waiting for the upstream as well.
      res.on('close', () => {
        if (!res.writableFinished) up.destroy(new Error('client went away'));
      });
      if (this.verbose) {
        console.log(`  -> ${req.method} ${req.url} ${rec.body.toString('utf8').slice(0, 200)}`);
      }
      up.end(rec.body);
    });
  }

  async drain(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.all([...this.inflight]),
        new Promise(r => setTimeout(r, 100)),
      ]);
    }
    return this.inflight.size === 0;
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function emulatorRequest(method, pathName) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {host: opts.emulatorHost, port: opts.emulatorPort, method, path: pathName},
      res => {
        const chunks = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({status: res.statusCode, body: Buffer.concat(chunks).toString()}));
      }
    );
    req.setTimeout(10000, () => req.destroy(new Error('emulator request timeout')));
    req.on('error', reject);
    req.end();
  });
}

// The RPC name as seen on the wire: the ":verb" suffix of the path, or the
// HTTP method for the plain resource-style RPCs.
function rpcOf(method, target) {
  const p = target.split('?')[0];
  const last = p.slice(p.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  if (colon >= 0 && /^[a-zA-Z]+$/.test(last.slice(colon + 1))) return last.slice(colon + 1);
  const i = p.indexOf('/documents/');
  if (method === 'GET' && i >= 0) {
    // collection path (odd segment count) -> listDocuments, document -> getDocument
    return p.slice(i + 11).split('/').length % 2 === 1 ? 'listDocuments' : 'getDocument';
  }
  return {POST: 'createDocument', PATCH: 'updateDocument', DELETE: 'deleteDocument'}[method] || method.toLowerCase();
}

function errSummary(e) {
  const code = e && e.code !== undefined ? `code=${e.code} ` : '';
  const msg = String((e && e.message) || e).split('\n')[0];
  return `${code}${msg}`.slice(0, 300);
}

// ---------------------------------------------------------------------------
// Scenario
// ---------------------------------------------------------------------------
async function main() {
  const proxy = new RecordingProxy(opts.emulatorHost, opts.emulatorPort, opts.verbose);
  const proxyPort = await proxy.listen();
  process.env.FIRESTORE_EMULATOR_HOST = `127.0.0.1:${proxyPort}`;

  // Load the SDK only after the environment is prepared.
  const firestoreModule = require('@google-cloud/firestore');
  const {
    Firestore,
    FieldValue,
    FieldPath,
    Filter,
    Timestamp,
    GeoPoint,
    AggregateField,
  } = firestoreModule;
  const {OAuth2Client} = require('google-auth-library');
  const sdkVersion = require('@google-cloud/firestore/package.json').version;

  // Start from an empty emulator (direct call, not recorded).
  for (const db of ['(default)', 'fixture-db']) {
    const r = await emulatorRequest(
      'DELETE',
      `/emulator/v1/projects/${opts.project}/databases/${db}/documents`
    );
    if (r.status !== 200) console.warn(`warning: clearing ${db} returned ${r.status}: ${r.body}`);
  }

  // With preferRest the SDK's REST transport asks google-auth-library for
  // Application Default Credentials even in emulator mode (known SDK issue,
  // googleapis/nodejs-firestore#1811), which fails without credentials. The
  // standard workaround: hand it an auth client carrying the emulator's "owner"
  // token. The SDK itself also adds `Authorization: Bearer owner` in emulator
  // mode, so the wire format is unchanged.
  const makeAuthClient = () => {
    const c = new OAuth2Client();
    c.setCredentials({access_token: 'owner', expiry_date: Date.now() + 24 * 3600 * 1000});
    return c;
  };
  const db = new Firestore({projectId: opts.project, preferRest: true, authClient: makeAuthClient()});

  const results = [];
  const stepNames = new Set();
  async function step(name, sdkCall, fn, {expectError = false, settleMs = 150} = {}) {
    if (stepNames.has(name)) throw new Error(`duplicate step name ${name}`);
    stepNames.add(name);
    if (opts.verbose) console.log(`[${name}] ${sdkCall}`);
    proxy.currentStep = {name, sdkCall};
    const before = proxy.records.length;
    let outcome = 'ok';
    let value;
    try {
      value = await withTimeout(Promise.resolve().then(fn), opts.stepTimeout, name);
    } catch (e) {
      outcome = `error: ${errSummary(e)}`;
    }
    // Some requests are fire-and-forget (e.g. the transaction rollback), so
    // give stragglers a moment to arrive before closing the step.
    await new Promise(r => setTimeout(r, settleMs));
    const drained = await proxy.drain(10000);
    if (!drained) outcome += ' (requests still in flight after 10s)';
    const reqs = proxy.records.slice(before).filter(r => r.step && r.step.name === name);
    results.push({name, sdkCall, outcome, expectError: !!expectError, why: typeof expectError === 'string' ? expectError : '', requests: reqs});
    return value;
  }

  const cities = db.collection('cities');
  const sf = cities.doc('SF');
  const fixedTs = Timestamp.fromDate(new Date('2024-01-02T03:04:05.678Z'));

  // ---- writes -------------------------------------------------------------
  await step(
    'write-batch-seed',
    "db.batch().set(cities/LA|DC|TOK|BJ, {...}).commit()",
    async () => {
      const b = db.batch();
      b.set(cities.doc('LA'), {name: 'Los Angeles', state: 'CA', country: 'USA', capital: false, population: 3900000, regions: ['west_coast', 'socal']});
      b.set(cities.doc('DC'), {name: 'Washington, D.C.', state: null, country: 'USA', capital: true, population: 680000, regions: ['east_coast']});
      b.set(cities.doc('TOK'), {name: 'Tokyo', state: null, country: 'Japan', capital: true, population: 9000000, regions: ['kanto', 'honshu']});
      b.set(cities.doc('BJ'), {name: 'Beijing', state: null, country: 'China', capital: true, population: 21500000, regions: ['jingjinji', 'hebei']});
      await b.commit();
    }
  );

  await step(
    'doc-set-all-value-types',
    "db.doc('cities/SF').set({string, null, bool, int, double, NaN, -Infinity, timestamp, geopoint, bytes, reference, array, map, vector})",
    () =>
      sf.set({
        name: 'San Francisco',
        state: 'CA',
        country: 'USA',
        capital: false,
        population: 860000,
        density: 7272.5,
        notANumber: NaN,
        negInf: -Infinity,
        founded: fixedTs,
        location: new GeoPoint(37.7749, -122.4194),
        blob: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
        sister: db.doc('cities/TOK'),
        regions: ['west_coast', 'norcal'],
        nested: {a: 1, b: {c: 'deep'}},
        empty: {},
        embedding: FieldValue.vector([0.5, 1.5, 2.5]),
        'odd field`name': 'needs backticks',
        'dotted.key': 'literal dot in key',
      })
  );

  await step('doc-set-merge', "db.doc('cities/SF').set({nested: {a: 2}, tz: 'PST'}, {merge: true})", () =>
    sf.set({nested: {a: 2}, tz: 'PST'}, {merge: true})
  );

  await step(
    'doc-set-merge-fields',
    "db.doc('cities/SF').set({name: 'SF', capital: true}, {mergeFields: ['name']})",
    () => sf.set({name: 'San Francisco', capital: true}, {mergeFields: ['name']})
  );

  await step('doc-create', "db.doc('cities/NYC').create({...})", () =>
    cities.doc('NYC').create({name: 'New York', state: 'NY', country: 'USA', capital: false, population: 8300000, regions: ['east_coast']})
  );

  await step(
    'doc-create-already-exists',
    "db.doc('cities/NYC').create({...}) // document exists -> ALREADY_EXISTS",
    () => cities.doc('NYC').create({name: 'dup'}),
    {expectError: true}
  );

  let lastUpdateTime = null;
  let c2WriteTime = null;
  await step(
    'doc-update',
    "db.doc('cities/SF').update({population: 870000, 'nested.a': 3}, new FieldPath('odd field`name'), 'x', new FieldPath('dotted.key'), FieldValue.delete())",
    async () => {
      const wr = await sf.update(
        'population', 870000,
        'nested.a', 3,
        new FieldPath('odd field`name'), 'still odd',
        new FieldPath('dotted.key'), FieldValue.delete()
      );
      lastUpdateTime = wr.writeTime;
    }
  );

  await step(
    'doc-update-precondition-update-time',
    "db.doc('cities/SF').update({tz: 'America/Los_Angeles'}, {lastUpdateTime})",
    async () => {
      const wr = await sf.update({tz: 'America/Los_Angeles'}, {lastUpdateTime});
      lastUpdateTime = wr.writeTime;
    }
  );

  await step(
    'doc-update-precondition-stale',
    "db.doc('cities/SF').update({tz: 'x'}, {lastUpdateTime: <stale>}) // FAILED_PRECONDITION",
    () => sf.update({tz: 'x'}, {lastUpdateTime: fixedTs}),
    {expectError: true}
  );

  await step(
    'doc-update-missing',
    "db.doc('cities/NOPE').update({x: 1}) // NOT_FOUND (update implies exists precondition)",
    () => cities.doc('NOPE').update({x: 1}),
    {expectError: true}
  );

  await step(
    'field-transforms',
    "db.doc('cities/SF').update({updatedAt: serverTimestamp(), visits: increment(1), score: increment(0.5), tags: arrayUnion('a','b'), regions: arrayRemove('norcal')})",
    () =>
      sf.update({
        updatedAt: FieldValue.serverTimestamp(),
        visits: FieldValue.increment(1),
        score: FieldValue.increment(0.5),
        tags: FieldValue.arrayUnion('a', 'b'),
        regions: FieldValue.arrayRemove('norcal'),
      })
  );

  await step(
    'field-transforms-set-merge',
    "db.doc('counters/c1').set({n: increment(5), at: serverTimestamp(), plain: 1}, {merge: true})",
    () =>
      db.doc('counters/c1').set(
        {n: FieldValue.increment(5), at: FieldValue.serverTimestamp(), plain: 1},
        {merge: true}
      )
  );

  await step(
    'field-transforms-only',
    "db.doc('counters/c2').set({at: serverTimestamp()}) // set whose only field is a transform",
    async () => {
      c2WriteTime = (await db.doc('counters/c2').set({at: FieldValue.serverTimestamp()})).writeTime;
    }
  );

  await step('doc-set-empty', "db.doc('misc/empty').set({})", () => db.doc('misc/empty').set({}));

  await step('doc-delete', "db.doc('misc/empty').delete()", () => db.doc('misc/empty').delete());

  await step(
    'doc-delete-precondition-update-time',
    "db.doc('counters/c2').delete({lastUpdateTime: <writeTime of the previous set>})",
    () => db.doc('counters/c2').delete({lastUpdateTime: c2WriteTime})
  );

  await step(
    'doc-delete-precondition-exists',
    "db.doc('cities/NOPE').delete({exists: true}) // NOT_FOUND",
    () => cities.doc('NOPE').delete({exists: true}),
    {expectError: true}
  );

  let addedRef = null;
  await step('collection-add', "db.collection('cities').add({...}) // auto-generated 20-char id", async () => {
    addedRef = await cities.add({name: 'Auto', country: 'Nowhere', population: 1, capital: false});
  });

  await step(
    'subcollection-doc-set',
    "db.doc('cities/SF/landmarks/GoldenGate').set({...}) and three more landmarks in a batch",
    async () => {
      const b = db.batch();
      b.set(sf.collection('landmarks').doc('GoldenGate'), {name: 'Golden Gate Bridge', type: 'bridge'});
      b.set(sf.collection('landmarks').doc('Legion'), {name: 'Legion of Honor', type: 'museum'});
      b.set(cities.doc('TOK').collection('landmarks').doc('Skytree'), {name: 'Tokyo Skytree', type: 'tower'});
      b.set(cities.doc('BJ').collection('landmarks').doc('Jingshan'), {name: 'Jingshan Park', type: 'park'});
      await b.commit();
    }
  );

  await step(
    'subcollection-deep-doc-set',
    "db.doc('cities/SF/landmarks/GoldenGate/reviews/r1').set({...})",
    () => sf.collection('landmarks').doc('GoldenGate').collection('reviews').doc('r1').set({stars: 5, text: 'foggy'})
  );

  // A document id with space, unicode and colon; and one with URL-special
  // characters. Both get a subcollection so that they show up in URL paths
  // (listDocuments / listCollectionIds put the parent into the path).
  const specialId = 'Saint Paul: Ünïcødé ☃ 東京';
  const specialRef = cities.doc(specialId);
  const urlSpecialId = "q?h#p%a&e=+!*'()~,;@$[]";
  const urlSpecialRef = db.collection('weird ids').doc(urlSpecialId);

  await step('special-id-doc-set', `db.doc('cities/${specialId}').set({...})`, () =>
    specialRef.set({name: 'Saint Paul', 'fïeld ☃': 1, population: 300000, country: 'USA', capital: true})
  );

  await step(
    'special-id-subcollection-doc-set',
    `db.doc('cities/${specialId}/landmarks/Cathedral: Ü').set({...})`,
    () => specialRef.collection('landmarks').doc('Cathedral: Ü').set({name: 'Cathedral of Saint Paul', type: 'church'})
  );

  await step(
    'url-special-id-doc-set',
    `db.doc("weird ids/${urlSpecialId}").set({...}) plus a subcollection doc`,
    async () => {
      const b = db.batch();
      b.set(urlSpecialRef, {v: 1});
      b.set(urlSpecialRef.collection('sub col').doc('x'), {v: 2});
      await b.commit();
    }
  );

  // ---- single-document reads ---------------------------------------------
  await step('doc-get', "db.doc('cities/SF').get()", () => sf.get());
  await step('doc-get-missing', "db.doc('cities/NOPE').get()", () => cities.doc('NOPE').get());
  await step('special-id-doc-get', `db.doc('cities/${specialId}').get()`, () => specialRef.get());
  await step('url-special-id-doc-get', `db.doc("weird ids/${urlSpecialId}").get()`, () => urlSpecialRef.get());

  await step('get-all', "db.getAll(cities/SF, cities/LA, cities/NOPE)", () =>
    db.getAll(sf, cities.doc('LA'), cities.doc('NOPE'))
  );

  await step(
    'get-all-field-mask',
    "db.getAll(cities/SF, cities/TOK, {fieldMask: ['name', 'nested.a', new FieldPath('odd field`name'), new FieldPath('fïeld ☃')]})",
    () =>
      db.getAll(sf, cities.doc('TOK'), {
        fieldMask: ['name', 'nested.a', new FieldPath('odd field`name'), new FieldPath('fïeld ☃')],
      })
  );

  // ---- listing -------------------------------------------------------------
  await step('list-documents', "db.collection('cities').listDocuments()", () => cities.listDocuments());
  await step(
    'list-documents-subcollection',
    "db.collection('cities/SF/landmarks').listDocuments()",
    () => sf.collection('landmarks').listDocuments()
  );
  await step(
    'list-documents-special-id-parent',
    `db.collection('cities/${specialId}/landmarks').listDocuments()`,
    () => specialRef.collection('landmarks').listDocuments()
  );
  await step(
    'list-documents-url-special-id-parent',
    `db.collection("weird ids/${urlSpecialId}/sub col").listDocuments()`,
    () => urlSpecialRef.collection('sub col').listDocuments()
  );
  await step('list-collections-root', 'db.listCollections()', () => db.listCollections());
  await step('list-collections-subcollection', "db.doc('cities/SF').listCollections()", () => sf.listCollections());
  await step(
    'list-collections-nested',
    "db.doc('cities/SF/landmarks/GoldenGate').listCollections()",
    () => sf.collection('landmarks').doc('GoldenGate').listCollections()
  );
  await step(
    'list-collections-special-id',
    `db.doc('cities/${specialId}').listCollections()`,
    () => specialRef.listCollections(),
    {expectError: 'emulator splits the :verb at the first (percent-decoded) colon'}
  );
  await step(
    'list-collections-url-special-id',
    `db.doc("weird ids/${urlSpecialId}").listCollections()`,
    () => urlSpecialRef.listCollections()
  );

  // ---- queries -------------------------------------------------------------
  await step(
    'query-where-orderby-limit',
    "db.collection('cities').where('country', '==', 'USA').orderBy('population', 'desc').limit(2).get()",
    () => cities.where('country', '==', 'USA').orderBy('population', 'desc').limit(2).get()
  );

  await step(
    'query-start-after-cursor',
    "const la = await db.doc('cities/LA').get(); db.collection('cities').orderBy('population').startAfter(la).limit(3).get()",
    async () => {
      const la = await cities.doc('LA').get();
      return cities.orderBy('population').startAfter(la).limit(3).get();
    }
  );

  await step(
    'query-start-at-end-before-values',
    "db.collection('cities').orderBy('country').orderBy('population', 'desc').startAt('China').endBefore('USA', 3900000).get()",
    () => cities.orderBy('country').orderBy('population', 'desc').startAt('China').endBefore('USA', 3900000).get()
  );

  await step(
    'query-pagination-implicit-orderby',
    "const p1 = await db.collection('cities').where('population', '>', 1000000).limit(2).get(); db.collection('cities').where('population', '>', 1000000).startAfter(p1.docs[1]).limit(2).get() // SDK adds implicit orderBy population, __name__",
    async () => {
      const q = cities.where('population', '>', 1000000).limit(2);
      const p1 = await q.get();
      return q.startAfter(p1.docs[p1.docs.length - 1]).get();
    }
  );

  await step(
    'query-composite-or-filter',
    "db.collection('cities').where(Filter.or(Filter.where('capital', '==', true), Filter.and(Filter.where('country', 'in', ['USA', 'Japan']), Filter.where('population', '>=', 1000000)))).get()",
    () =>
      cities
        .where(
          Filter.or(
            Filter.where('capital', '==', true),
            Filter.and(Filter.where('country', 'in', ['USA', 'Japan']), Filter.where('population', '>=', 1000000))
          )
        )
        .get()
  );

  await step(
    'query-operators',
    "db.collection('cities').where('regions', 'array-contains-any', ['west_coast','kanto']).where('population', '<=', 10000000).get()",
    () =>
      cities
        .where('regions', 'array-contains-any', ['west_coast', 'kanto'])
        .where('population', '<=', 10000000)
        .get()
  );

  await step(
    'query-not-in',
    "db.collection('cities').where('country', 'not-in', ['China', 'Japan']).get()",
    () => cities.where('country', 'not-in', ['China', 'Japan']).get()
  );

  await step(
    'query-array-contains-not-equal',
    "db.collection('cities').where('regions', 'array-contains', 'kanto').where('country', '!=', 'USA').get()",
    () => cities.where('regions', 'array-contains', 'kanto').where('country', '!=', 'USA').get()
  );

  await step(
    'query-unary-filters',
    "db.collection('cities').where('state', '==', null).where('notANumber', '!=', NaN).get()",
    () => cities.where('state', '==', null).where('notANumber', '!=', NaN).get()
  );

  await step(
    'query-document-id-in',
    "db.collection('cities').where(FieldPath.documentId(), 'in', ['SF', 'LA', cities.doc('TOK')]).get()",
    () => cities.where(FieldPath.documentId(), 'in', ['SF', 'LA', cities.doc('TOK')]).get()
  );

  await step(
    'query-select-offset',
    "db.collection('cities').select('name', 'population').orderBy('name').offset(1).limit(10).get()",
    () => cities.select('name', 'population').orderBy('name').offset(1).limit(10).get()
  );

  await step(
    'query-limit-to-last',
    "db.collection('cities').orderBy('population').limitToLast(2).get()",
    () => cities.orderBy('population').limitToLast(2).get()
  );

  await step(
    'query-subcollection',
    "db.collection('cities/SF/landmarks').where('type', '==', 'bridge').get()",
    () => sf.collection('landmarks').where('type', '==', 'bridge').get()
  );

  await step(
    'query-special-id-parent',
    `db.collection('cities/${specialId}/landmarks').get()`,
    () => specialRef.collection('landmarks').get(),
    {expectError: 'emulator splits the :verb at the first (percent-decoded) colon'}
  );

  await step(
    'query-url-special-id-parent',
    `db.collection("weird ids/${urlSpecialId}/sub col").where('v', '>=', 1).get()`,
    () => urlSpecialRef.collection('sub col').where('v', '>=', 1).get()
  );

  await step(
    'collection-group-query',
    "db.collectionGroup('landmarks').where('type', 'in', ['bridge', 'tower']).orderBy('name').get()",
    () => db.collectionGroup('landmarks').where('type', 'in', ['bridge', 'tower']).orderBy('name').get()
  );

  await step(
    'query-explain',
    "db.collection('cities').where('capital', '==', true).explain({analyze: true})",
    () => cities.where('capital', '==', true).explain({analyze: true}),
    {expectError: 'emulator ignores explainOptions (SDK: "No explain results")'}
  );

  await step(
    'query-find-nearest',
    "db.collection('cities').findNearest({vectorField: 'embedding', queryVector: [0.5, 1.5, 2.5], limit: 2, distanceMeasure: 'EUCLIDEAN', distanceResultField: 'dist'}).get()",
    () =>
      cities
        .findNearest({
          vectorField: 'embedding',
          queryVector: [0.5, 1.5, 2.5],
          limit: 2,
          distanceMeasure: 'EUCLIDEAN',
          distanceResultField: 'dist',
        })
        .get()
  );

  // ---- aggregations ---------------------------------------------------------
  await step('count-aggregation', "db.collection('cities').where('capital', '==', true).count().get()", () =>
    cities.where('capital', '==', true).count().get()
  );

  await step(
    'multi-aggregation',
    "db.collection('cities').aggregate({total: count(), pop: sum('population'), avgPop: average('population')}).get()",
    () =>
      cities
        .aggregate({
          total: AggregateField.count(),
          pop: AggregateField.sum('population'),
          avgPop: AggregateField.average('population'),
        })
        .get()
  );

  await step(
    'collection-group-count',
    "db.collectionGroup('landmarks').count().get()",
    () => db.collectionGroup('landmarks').count().get()
  );

  // ---- partition query -------------------------------------------------------
  let partitions = [];
  await step('partition-query', "for await (const p of db.collectionGroup('landmarks').getPartitions(3))", async () => {
    for await (const p of db.collectionGroup('landmarks').getPartitions(3)) partitions.push(p);
  }, {expectError: 'emulator: PartitionQuery is unimplemented (501)'});
  if (partitions.length > 1) {
    await step(
      'partition-to-query',
      "(await collectionGroup('landmarks').getPartitions(3))[0].toQuery().get()",
      () => partitions[0].toQuery().get()
    );
  }

  // ---- transactions ----------------------------------------------------------
  await step(
    'transaction-get-then-query-then-write',
    "db.runTransaction(async t => { await t.get(cities/SF); await t.get(landmarks query); await t.get(count query); t.update(SF, ...); t.set(cities/SF/landmarks/Ferry, ...); t.create(...); t.delete(...) })",
    () =>
      db.runTransaction(async t => {
        const s = await t.get(sf);
        const q = await t.get(sf.collection('landmarks').where('type', '==', 'museum'));
        await t.get(sf.collection('landmarks').count());
        t.update(sf, {txnCount: (s.get('txnCount') || 0) + 1, museums: q.size});
        t.set(sf.collection('landmarks').doc('Ferry'), {name: 'Ferry Building', type: 'market'});
        t.create(db.doc('txn/created'), {at: FieldValue.serverTimestamp()});
        t.delete(cities.doc('NYC'), {exists: true});
      })
  );

  await step(
    'transaction-query-then-getall-then-write',
    "db.runTransaction(async t => { await t.get(cities where capital==true); await t.getAll(cities/TOK, cities/BJ, {fieldMask: ['population']}); t.update(TOK, {...}) })",
    () =>
      db.runTransaction(async t => {
        await t.get(cities.where('capital', '==', true).limit(5));
        const [tok] = await t.getAll(cities.doc('TOK'), cities.doc('BJ'), {fieldMask: ['population']});
        t.update(cities.doc('TOK'), {population: tok.get('population') + 1});
      })
  );

  await step(
    'transaction-aggregate-first',
    "db.runTransaction(async t => { await t.get(cities.count()); t.set(db.doc('txn/agg'), {...}) })",
    () =>
      db.runTransaction(async t => {
        const c = await t.get(cities.count());
        t.set(db.doc('txn/agg'), {count: c.data().count});
      })
  );

  await step(
    'transaction-write-only',
    "db.runTransaction(async t => { t.set(db.doc('txn/writeonly'), {...}) }) // no reads",
    () =>
      db.runTransaction(async t => {
        t.set(db.doc('txn/writeonly'), {v: 1});
      })
  );

  await step(
    'transaction-rollback',
    "db.runTransaction(async t => { await t.get(cities/LA); throw new Error('abort on purpose') })",
    () =>
      db.runTransaction(async t => {
        await t.get(cities.doc('LA'));
        throw new Error('abort on purpose');
      }),
    {expectError: 'the callback throws on purpose', settleMs: 500}
  );

  let retryAttempts = 0;
  await step(
    'transaction-retry-after-aborted',
    "db.runTransaction(async t => { await t.get(cities/LA); if (first attempt) throw {code: 10 /*ABORTED*/}; t.update(LA, ...) }) // SDK rolls back, retries with readWrite.retryTransaction",
    () =>
      db.runTransaction(async t => {
        retryAttempts++;
        const la = await t.get(cities.doc('LA'));
        if (retryAttempts === 1) {
          const e = new Error('simulated contention');
          e.code = 10; // ABORTED: the SDK treats it as retryable
          throw e;
        }
        t.update(cities.doc('LA'), {visits: (la.get('visits') || 0) + 1});
      }),
    {settleMs: 500}
  );

  await step(
    'transaction-read-only',
    "db.runTransaction(async t => { await t.get(cities/SF); await t.get(query) }, {readOnly: true})",
    () =>
      db.runTransaction(
        async t => {
          await t.get(sf);
          await t.get(cities.where('country', '==', 'Japan'));
        },
        {readOnly: true}
      )
  );

  await step(
    'transaction-read-only-read-time',
    "db.runTransaction(async t => { await t.get(cities/SF); await t.get(query); await t.get(count) }, {readOnly: true, readTime: <recent Timestamp>})",
    () => {
      const readTime = Timestamp.fromMillis(Math.floor((Date.now() - 2000) / 1000) * 1000);
      return db.runTransaction(
        async t => {
          await t.get(sf);
          await t.get(cities.where('country', '==', 'Japan'));
          await t.get(cities.count());
        },
        {readOnly: true, readTime}
      );
    }
  );

  // ---- BulkWriter / recursive delete -------------------------------------------
  await step(
    'bulk-writer',
    "const bw = db.bulkWriter(); bw.create/set/update/delete(...); bw.update(cities/NOPE) /*NOT_FOUND*/; await bw.close()",
    async () => {
      const bw = db.bulkWriter({throttling: false});
      bw.onWriteError(() => false); // do not retry the intentional failure
      const ops = [
        bw.create(db.doc('bulk/b1'), {n: 1}),
        bw.set(db.doc('bulk/b2'), {n: 2, at: FieldValue.serverTimestamp()}),
        bw.set(db.doc('bulk/b3'), {n: 3}, {merge: true}),
        bw.update(sf, {bulk: true}),
        bw.delete(db.doc('counters/c1')),
        bw.update(cities.doc('NOPE'), {x: 1}),
      ];
      // Operations are only sent on flush()/close() (or when a batch fills up),
      // so close first and then collect the per-operation results.
      await bw.close();
      return Promise.allSettled(ops);
    }
  );

  await step(
    'recursive-delete',
    "db.recursiveDelete(db.doc('cities/SF/landmarks/GoldenGate')) // kindless allDescendants runQuery + batchWrite deletes",
    () => db.recursiveDelete(sf.collection('landmarks').doc('GoldenGate'))
  );

  await step(
    'recursive-delete-collection',
    "db.recursiveDelete(db.collection('bulk'))",
    () => db.recursiveDelete(db.collection('bulk'))
  );

  // ---- pipelines (Enterprise edition only; recorded whatever the emulator says) --
  await step(
    'pipeline-execute',
    "db.pipeline().collection('cities').where(field('population').greaterThan(1000000)).sort(field('population').descending()).limit(2).execute()",
    () => {
      const {field} = require('@google-cloud/firestore/pipelines');
      return db
        .pipeline()
        .collection('cities')
        .where(field('population').greaterThan(1000000))
        .sort(field('population').descending())
        .limit(2)
        .execute();
    },
    {expectError: 'pipelines need Enterprise edition; the emulator answers 500'}
  );

  // ---- a named (non-default) database ------------------------------------------
  const namedDb = new Firestore({
    projectId: opts.project,
    databaseId: 'fixture-db',
    preferRest: true,
    authClient: makeAuthClient(),
  });
  await step('named-database-doc-set', "new Firestore({databaseId: 'fixture-db'}).doc('items/i1').set({v: 1})", () =>
    namedDb.doc('items/i1').set({v: 1})
  );
  await step('named-database-doc-get', "new Firestore({databaseId: 'fixture-db'}).doc('items/i1').get()", () =>
    namedDb.doc('items/i1').get()
  );
  await step('named-database-list-documents', "new Firestore({databaseId: 'fixture-db'}).collection('items').listDocuments()", () =>
    namedDb.collection('items').listDocuments()
  );

  // ---- the package's low-level GAPIC client (Firestore.v1) --------------------
  // The high-level API above only ever uses commit/batchGet/runQuery/
  // runAggregationQuery/listDocuments/listCollectionIds/batchWrite/rollback/
  // partitionQuery/executePipeline. The same npm package also ships the
  // generated v1 client; over REST it produces the resource-style RPCs
  // (GET/PATCH/DELETE on documents, createDocument, beginTransaction) whose
  // request fields travel in the query string. Same transport code
  // (google-gax REST fallback), so the encoding is identical.
  const gapic = new firestoreModule.v1.FirestoreClient({
    servicePath: '127.0.0.1',
    port: proxyPort,
    protocol: 'http',
    fallback: 'rest',
    authClient: makeAuthClient(),
  });
  const dbName = `projects/${opts.project}/databases/(default)`;
  const docsRoot = `${dbName}/documents`;
  const sfName = `${docsRoot}/cities/SF`;
  await step(
    'gapic-get-document-mask',
    "v1.FirestoreClient.getDocument({name: '.../documents/cities/SF', mask: {fieldPaths: ['name', 'nested.a', '`odd field\\\\`name`']}})",
    () => gapic.getDocument({name: sfName, mask: {fieldPaths: ['name', 'nested.a', '`odd field\\`name`']}})
  );
  await step(
    'gapic-get-document-read-time',
    "v1.FirestoreClient.getDocument({name: '.../documents/cities/SF', readTime: {seconds, nanos}})",
    () => {
      const ms = Date.now() - 1500;
      return gapic.getDocument({name: sfName, readTime: {seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6}});
    },
    {expectError: 'emulator rejects readTime given as a query parameter ("Only timestamps past epoch are supported")'}
  );
  await step(
    'gapic-get-document-special-id',
    `v1.FirestoreClient.getDocument({name: '.../documents/cities/${specialId}'})`,
    () => gapic.getDocument({name: `${docsRoot}/cities/${specialId}`})
  );
  await step(
    'gapic-get-document-missing',
    "v1.FirestoreClient.getDocument({name: '.../documents/cities/NOPE'}) // NOT_FOUND",
    () => gapic.getDocument({name: `${docsRoot}/cities/NOPE`}),
    {expectError: true}
  );
  await step(
    'gapic-list-documents-paged',
    "v1.FirestoreClient.listDocuments({parent: '.../documents', collectionId: 'cities', pageSize: 3, mask: {fieldPaths: ['name', 'population']}}) // auto-paginates with pageToken",
    () =>
      gapic.listDocuments({
        parent: docsRoot,
        collectionId: 'cities',
        pageSize: 3,
        mask: {fieldPaths: ['name', 'population']},
      })
  );
  await step(
    'gapic-list-documents-order-by',
    "v1.FirestoreClient.listDocuments({parent: '.../documents/cities/SF', collectionId: 'landmarks', pageSize: 50, orderBy: 'name desc'}) // the emulator answers with an empty list",
    () =>
      gapic.listDocuments({
        parent: sfName,
        collectionId: 'landmarks',
        pageSize: 50,
        orderBy: 'name desc',
      })
  );
  await step(
    'gapic-create-document',
    "v1.FirestoreClient.createDocument({parent: '.../documents/cities/SF', collectionId: 'gapic docs', documentId: 'doc 1: ü', document: {fields: {...}}, mask: {fieldPaths: ['a']}})",
    () =>
      gapic.createDocument({
        parent: sfName,
        collectionId: 'gapic docs',
        documentId: 'doc 1: ü',
        document: {fields: {a: {integerValue: '1'}, b: {mapValue: {fields: {c: {stringValue: 'x'}}}}}},
        mask: {fieldPaths: ['a']},
      })
  );
  await step(
    'gapic-create-document-root-collection',
    "v1.FirestoreClient.createDocument({parent: '.../documents', collectionId: 'gapic docs', ...}) // never sent: google-gax cannot match '{parent=projects/*/databases/*/documents/**}' for a root parent",
    () =>
      gapic.createDocument({
        parent: docsRoot,
        collectionId: 'gapic docs',
        documentId: 'root-doc',
        document: {fields: {a: {integerValue: '1'}}},
      }),
    {expectError: 'client-side: "Cannot build HTTP request" (no request is sent)'}
  );
  await step(
    'gapic-create-document-auto-id',
    "v1.FirestoreClient.createDocument({parent: '.../documents/cities/SF', collectionId: 'landmarks', document: {fields: {...}}}) // server-assigned id",
    () =>
      gapic.createDocument({
        parent: sfName,
        collectionId: 'landmarks',
        document: {fields: {name: {stringValue: 'Coit Tower'}, type: {stringValue: 'tower'}}},
      })
  );
  let gapicUpdateTime = null;
  await step(
    'gapic-update-document',
    "v1.FirestoreClient.updateDocument({document: {name: '.../cities/SF/gapic docs/doc 1: ü', fields}, updateMask: {fieldPaths: ['a', 'b.c', '`x y`']}, mask: {fieldPaths: ['a']}, currentDocument: {exists: true}})",
    async () => {
      const [doc] = await gapic.updateDocument({
        document: {
          name: `${sfName}/gapic docs/doc 1: ü`,
          fields: {a: {integerValue: '2'}, b: {mapValue: {fields: {c: {stringValue: 'y'}}}}, 'x y': {booleanValue: true}},
        },
        updateMask: {fieldPaths: ['a', 'b.c', '`x y`']},
        mask: {fieldPaths: ['a']},
        currentDocument: {exists: true},
      });
      gapicUpdateTime = doc.updateTime;
    }
  );
  await step(
    'gapic-update-document-precondition-update-time',
    "v1.FirestoreClient.updateDocument({document: {name, fields}, currentDocument: {updateTime}}) // no updateMask: replaces the document",
    () =>
      gapic.updateDocument({
        document: {name: `${sfName}/gapic docs/doc 1: ü`, fields: {a: {integerValue: '3'}}},
        currentDocument: {updateTime: gapicUpdateTime},
      }),
    {expectError: 'emulator does not parse Timestamp query parameters (sees base version 0)'}
  );
  await step(
    'gapic-delete-document-precondition',
    "v1.FirestoreClient.deleteDocument({name: '.../cities/SF/gapic docs/doc 1: ü', currentDocument: {exists: true}})",
    () => gapic.deleteDocument({name: `${sfName}/gapic docs/doc 1: ü`, currentDocument: {exists: true}})
  );
  await step(
    'gapic-delete-document',
    "v1.FirestoreClient.deleteDocument({name: '.../documents/txn/writeonly'})",
    () => gapic.deleteDocument({name: `${docsRoot}/txn/writeonly`})
  );
  let gapicTxn = null;
  await step(
    'gapic-begin-transaction-read-write',
    "v1.FirestoreClient.beginTransaction({database, options: {readWrite: {}}})",
    async () => {
      const [resp] = await gapic.beginTransaction({database: dbName, options: {readWrite: {}}});
      gapicTxn = resp.transaction;
    }
  );
  await step(
    'gapic-get-document-in-transaction',
    "v1.FirestoreClient.getDocument({name: '.../documents/cities/SF', transaction: <bytes>}) // the emulator never answers",
    () => gapic.getDocument({name: sfName, transaction: gapicTxn}, {retry: null}),
    {expectError: 'emulator hangs on GET ?transaction=...; the recording proxy gives up after 8 s (upstream_status null)'}
  );
  await step(
    'gapic-rollback',
    "v1.FirestoreClient.rollback({database, transaction: <bytes>})",
    () => gapic.rollback({database: dbName, transaction: gapicTxn})
  );
  await step(
    'gapic-begin-transaction-read-only',
    "v1.FirestoreClient.beginTransaction({database, options: {readOnly: {readTime}}})",
    () => {
      const ms = Date.now() - 1500;
      return gapic.beginTransaction({
        database: dbName,
        options: {readOnly: {readTime: {seconds: Math.floor(ms / 1000), nanos: 0}}},
      });
    }
  );
  await step(
    'gapic-list-collection-ids-paged',
    "v1.FirestoreClient.listCollectionIds({parent: '.../documents', pageSize: 2}) // auto-paginates with pageToken in the body",
    () => gapic.listCollectionIds({parent: docsRoot, pageSize: 2})
  );
  await withTimeout(gapic.close(), 5000, 'gapic close').catch(() => {});

  proxy.currentStep = {name: 'terminate', sdkCall: 'db.terminate()'};
  await withTimeout(Promise.all([db.terminate(), namedDb.terminate()]), 10000, 'terminate').catch(e =>
    console.warn(`warning: terminate: ${errSummary(e)}`)
  );
  await proxy.drain(5000);
  await proxy.close();

  // ---- write fixtures ---------------------------------------------------------
  fs.mkdirSync(opts.out, {recursive: true});
  for (const f of fs.readdirSync(opts.out)) {
    if (f.endsWith('.json')) fs.unlinkSync(path.join(opts.out, f));
  }
  const byStep = new Map();
  const unattributed = [];
  for (const r of proxy.records) {
    if (!r.step) {
      unattributed.push(r);
      continue;
    }
    const key = r.step.name;
    if (!byStep.has(key)) byStep.set(key, []);
    byStep.get(key).push(r);
  }
  const written = [];
  const writeFixture = (name, sdkCall, r) => {
    const headers = {};
    for (const h of KEPT_HEADERS) {
      if (r.headers[h] === undefined) continue;
      headers[h] = h === 'authorization' ? r.headers[h].replace(/^(\S+)\s.*$/, '$1 <redacted>') : r.headers[h];
    }
    const fixture = {
      name,
      sdk_call: sdkCall,
      method: r.method,
      target: r.target,
      headers,
      body: r.body ? r.body.toString('utf8') : '',
      upstream_status: r.status,
    };
    if (r.body && !r.body.equals(Buffer.from(fixture.body, 'utf8'))) {
      throw new Error(`request body of ${name} is not valid UTF-8`);
    }
    fs.writeFileSync(path.join(opts.out, `${name}.json`), JSON.stringify(fixture, null, 2) + '\n');
    written.push({name, r});
  };
  for (const [stepName, recs] of byStep) {
    const sdkCall = recs[0].step.sdkCall;
    if (recs.length === 1) {
      writeFixture(stepName, sdkCall, recs[0]);
    } else {
      recs.forEach((r, i) => writeFixture(`${stepName}-${i + 1}-${rpcOf(r.method, r.target)}`, sdkCall, r));
    }
  }
  unattributed.forEach((r, i) => writeFixture(`unattributed-${i + 1}-${rpcOf(r.method, r.target)}`, '(unknown)', r));

  // ---- report ---------------------------------------------------------------------
  console.log(`@google-cloud/firestore ${sdkVersion}; ${written.length} fixtures written to ${opts.out}`);
  console.log('');
  console.log('| step | outcome | requests (method rpc -> status) |');
  console.log('| --- | --- | --- |');
  let unexpected = 0;
  for (const s of results) {
    const reqs = s.requests.map(r => `${r.method} ${rpcOf(r.method, r.target)} -> ${r.status}`).join('; ') || '(none)';
    const bad = (s.outcome !== 'ok') !== s.expectError;
    if (bad) unexpected++;
    console.log(`| ${s.name} | ${s.outcome}${s.expectError ? ` (expected${s.why ? ': ' + s.why : ''})` : ''}${bad ? ' **UNEXPECTED**' : ''} | ${reqs} |`);
  }
  console.log('');
  console.log('Request header names seen (raw spelling): ' + [...proxy.headerNamesSeen.values()].join(', '));
  const rejected = written.filter(w => !(w.r.status >= 200 && w.r.status < 300));
  if (rejected.length) {
    console.log('');
    console.log('Rejected by the emulator:');
    for (const w of rejected) {
      console.log(`  ${w.name}: ${w.r.status} ${String(w.r.responseBody || '').replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
  if (written.length === 0) throw new Error('no requests captured');
  if (unexpected) {
    console.log(`\n${unexpected} step(s) had an unexpected outcome (see table); fixtures were written anyway.`);
    return 3;
  }
  return 0;
}

main().then(
  code => process.exit(code),
  err => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  }
);

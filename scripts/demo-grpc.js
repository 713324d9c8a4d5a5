#!/usr/bin/env node
// Part of scripts/demo: the Node.js Firestore SDK in its default gRPC mode,
// through firewarden in mtls mode, as one workload (its client SVID): reads
// a document, then tries a write its policy denies.
//
//   node scripts/demo-grpc.js HOST:PORT PROJECT CA CERT KEY READ_PATH WRITE_PATH
'use strict';

const fs = require('node:fs');

async function main() {
  const [target, project, ca, cert, key, readPath, writePath] = process.argv.slice(2);
  process.env.METADATA_SERVER_DETECTION = 'none';  // the SDK holds no Google credentials
  const {Firestore} = require('@google-cloud/firestore');
  const {grpc} = require('google-gax');
  const [host, port] = target.split(':');
  const db = new Firestore({
    projectId: project,
    host,
    port: Number(port),
    // The client certificate is the caller's identity; firewarden adds the
    // Google token itself.
    sslCreds: grpc.credentials.createSsl(
        fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert)),
  });
  const read = await db.doc(readPath).get();
  console.log(`  get ${readPath} (GetDocument/BatchGetDocuments over gRPC): ` +
              `${read.exists ? JSON.stringify(read.data()) : 'not found'}`);
  try {
    await db.doc(writePath).set({total: 0});
    console.log(`  set ${writePath}: written (unexpected)`);
    process.exitCode = 1;
  } catch (error) {
    console.log(`  set ${writePath} (Commit over gRPC): refused, code ${error.code}: ` +
                `${String(error.details || error.message).slice(0, 160)}`);
  }
  await db.terminate();
}

main().catch((error) => {
  console.error(`  gRPC demo failed: ${error.message}`);
  process.exitCode = 1;
});

#!/usr/bin/env node
// Records the gRPC request messages each SDK client (grpc-clients.js) sends
// while it runs its operation list against the emulator through grpc-relay.js:
// one raw protobuf message per file (no gRPC length prefix),
//   OUT/<sdk>/<Rpc>-<n>.bin
// and OUT/index.json listing {file, method, sdk, operation} for each. Run by
// scripts/capture-grpc-fixtures, which builds the Go and Java clients first.
//
//   node capture-grpc.js --emulator 127.0.0.1:PORT --out DIR [--go-client PATH] SDK...
//
// Each SDK runs with project fixture-project and documents named after run id
// "fixture"; the project is cleared between SDKs so every SDK starts from the
// same empty database. A message's operation is the one whose result line the
// client had not printed yet when the message arrived; the clients pause after
// each line (--pause-ms) so that it is read before the next operation starts.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const {runClient} = require('./grpc-clients');
const {EmulatorView} = require('./harness');
const {SERVICE, startRelay} = require('./grpc-relay');

const PROJECT = 'fixture-project';

function parseArgs(argv) {
  const opts = {sdks: []};
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--emulator') opts.emulator = argv[++i];
    else if (flag === '--out') opts.out = path.resolve(argv[++i]);
    else if (flag === '--go-client') opts.goClient = argv[++i];
    else if (flag.startsWith('--')) throw new Error(`unknown argument ${flag}`);
    else opts.sdks.push(flag);
  }
  const loopback = /^127\.0\.0\.1:(\d+)$/.exec(opts.emulator || '');
  if (!loopback || !opts.out || opts.sdks.length === 0) {
    throw new Error('usage: capture-grpc.js --emulator 127.0.0.1:PORT --out DIR [--go-client PATH] SDK...');
  }
  opts.emulatorPort = Number(loopback[1]);
  return opts;
}

async function clearProject(emulator) {
  const response = await emulator.request('DELETE', `/emulator/v1/projects/${PROJECT}/databases/(default)/documents`);
  if (response.status !== 200) throw new Error(`clearing the emulator: ${response.status} ${response.body}`);
}

// Runs one SDK's client through a recording relay; returns its index entries.
async function capture(sdk, opts, emulator) {
  await clearProject(emulator);
  const dir = path.join(opts.out, sdk);
  fs.rmSync(dir, {recursive: true, force: true});
  fs.mkdirSync(dir, {recursive: true});
  const counts = {};
  const entries = [];
  let unattributed = [];
  const relay = await startRelay({
    upstreamPort: opts.emulatorPort,
    record: (rpc, bytes) => {
      counts[rpc] = (counts[rpc] || 0) + 1;
      const file = `${sdk}/${rpc}-${counts[rpc]}.bin`;
      fs.writeFileSync(path.join(opts.out, file), bytes);
      const entry = {file, method: `/${SERVICE}/${rpc}`, sdk, operation: null};
      entries.push(entry);
      unattributed.push(entry);
    },
  });
  const args = ['--target', `127.0.0.1:${relay.port}`, '--project', PROJECT, '--run', 'fixture', '--pause-ms', '200'];
  try {
    const result = await runClient(sdk, args, {
      goClient: opts.goClient,
      onLine: line => {
        if (!line.op) return;
        for (const entry of unattributed) entry.operation = line.op;
        unattributed = [];
      },
    });
    const failed = result.lines.filter(line => line.op && line.outcome !== line.expect);
    if (result.status !== 0 || failed.length > 0) {
      throw new Error(`${sdk} client exited ${result.status ?? result.signal}: ${JSON.stringify(failed)}\n${result.stderr}`);
    }
  } finally {
    await relay.stop();
  }
  console.log(`${sdk}: ${entries.length} messages (${Object.entries(counts).map(([rpc, n]) => `${rpc} ${n}`).join(', ')})`);
  return entries;
}

async function main() {
  const opts = parseArgs(process.argv);
  const emulator = new EmulatorView(opts.emulatorPort, PROJECT);
  const indexFile = path.join(opts.out, 'index.json');
  // SDKs not captured this time keep their entries.
  const kept = fs.existsSync(indexFile)
    ? JSON.parse(fs.readFileSync(indexFile, 'utf8')).filter(entry => !opts.sdks.includes(entry.sdk))
    : [];
  const entries = [...kept];
  for (const sdk of opts.sdks) entries.push(...(await capture(sdk, opts, emulator)));
  fs.writeFileSync(indexFile, `${JSON.stringify(entries, null, 1)}\n`);
}

main().catch(error => {
  console.error(error.stack || String(error));
  process.exitCode = 1;
});

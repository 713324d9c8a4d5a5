// Transparency: every scenario of capture-requests.js (the ~110 requests the
// real SDK sends for the whole API surface, tests/fixtures/sdk) run through
// firewarden, with a policy that allows everything, must get the same status
// as when it was captured straight from the emulator. A difference means
// firewarden refuses or changes a request the SDK really sends.
//
//   FIREWARDEN_BINARY=build/firewarden node --test tests/e2e/node/parity.test.js
'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {after, before, test} = require('node:test');

const {ORDERS_ID, SOURCE_DIR, startEmulator, startFirewarden, tempDir} = require('./harness');

const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures/sdk');
// What firewarden answers itself, on purpose, instead of the emulator.
const EXPECTED_DIFFERENCES = {
  'pipeline-execute.json': {firewarden: 501, why: ':executePipeline is refused (SPEC §5)'},
};

const stops = [];
let dir;
let firewarden;

before(async () => {
  const emulator = await startEmulator();
  stops.push(emulator.stop);
  dir = tempDir('parity');
  fs.writeFileSync(
    path.join(dir, 'allow-all.yaml'),
    'version: 1\nrules:\n  - name: everything\n    subjects: {principals: ["*"]}\n' +
      '    collections: ["**"]\n    actions: [read, write, list_collections]\n'
  );
  firewarden = await startFirewarden({
    mode: 'fixed',
    fixedId: ORDERS_ID,
    project: `parity-${process.pid}`,
    emulatorPort: emulator.port,
    policyFile: path.join(dir, 'allow-all.yaml'),
    databases: ['(default)', 'fixture-db'],
  });
  stops.push(firewarden.stop);
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

test('every SDK request of the fixtures gets the status it got from the emulator directly', {timeout: 280000}, async () => {
  const out = path.join(dir, 'fixtures');
  const run = childProcess.spawnSync(
    process.execPath,
    [path.join(__dirname, 'capture-requests.js'), '--emulator', `127.0.0.1:${firewarden.port}`,
      '--project', `parity-${process.pid}`, '--out', out],
    {encoding: 'utf8', timeout: 240000}
  );
  // Exit 3 = some step had an unexpected outcome; the statuses below say which.
  assert.ok(run.status === 0 || run.status === 3, `capture-requests.js: ${run.status}\n${run.stderr}\n${run.stdout}`);

  const captured = fs.readdirSync(FIXTURES).filter(f => f.endsWith('.json'));
  const differences = [];
  for (const name of captured) {
    const direct = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
    const file = path.join(out, name);
    if (!fs.existsSync(file)) {
      differences.push(`${name}: not sent through firewarden`);
      continue;
    }
    const through = JSON.parse(fs.readFileSync(file, 'utf8')).upstream_status;
    const expected = EXPECTED_DIFFERENCES[name] ? EXPECTED_DIFFERENCES[name].firewarden : direct.upstream_status;
    if (through !== expected) {
      differences.push(`${name}: ${direct.upstream_status} from the emulator, ${through} through firewarden`);
    }
  }
  assert.deepEqual(differences, [], `\n${differences.join('\n')}\n${firewarden.logs().slice(-3000)}`);
  assert.ok(captured.length >= 100, `only ${captured.length} fixtures`);

  // And the access log agrees: every request was allowed by the one rule.
  const lines = await firewarden.settledAccessLog(lines => lines.length >= captured.length - 2);
  assert.ok(lines.length >= captured.length - 2, `${lines.length} access log lines`);
  const refused = lines.filter(line => line.decision === 'deny');
  assert.deepEqual(refused, []);
});

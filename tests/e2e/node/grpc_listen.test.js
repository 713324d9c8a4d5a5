// Real-time listeners of the Go, Python and Java SDKs (their clients' --listen
// list: tests/e2e/go/listen.go, tests/e2e/python-grpc/grpc_listen.py,
// tests/e2e/java/…/Listen.java) against
// the real emulator, straight (GRPC_SDK_VIA=direct: the program works) or
// through firewarden in fixed mode as spiffe://cluster.local/ns/orders/sa/orders-api
// (GRPC_SDK_VIA=fixed): a listener on orders/ receives its first snapshot and
// changes; one on secrets/ is ended with code 7 by the SDK, and decided once
// (no reconnect loop); the first listener then still receives changes.
// The Node SDK's listeners are in listen.test.js.
'use strict';

const assert = require('node:assert/strict');
const {after, before, test} = require('node:test');

const {runClient} = require('./grpc-clients');
const {EmulatorView, ORDERS_ID, startEmulator, startFirewarden} = require('./harness');

const SDK = process.env.GRPC_SDK;
const VIA = process.env.GRPC_SDK_VIA || 'direct';
if (!['direct', 'fixed'].includes(VIA)) throw new Error(`GRPC_SDK_VIA must be direct or fixed (got ${VIA})`);
const PERMISSION_DENIED = 7;

const project = `listen-${SDK}-${VIA}-${process.pid}`;
const runId = `${SDK}l${process.pid}`;
const stops = [];
let emulator; // EmulatorView
let target;
let firewarden; // when VIA is fixed

before(async () => {
  const emu = await startEmulator();
  stops.push(emu.stop);
  emulator = new EmulatorView(emu.port, project);
  target = `127.0.0.1:${emu.port}`;
  if (VIA === 'fixed') {
    firewarden = await startFirewarden({mode: VIA, fixedId: ORDERS_ID, project, emulatorPort: emu.port});
    stops.push(firewarden.stop);
    target = `127.0.0.1:${firewarden.port}`;
  }
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

test(`${SDK} SDK listeners, ${VIA}`, {timeout: 150000}, async () => {
  const expectDenied = firewarden !== undefined;
  const args = ['--target', target, '--project', project, '--run', runId, '--listen'];
  const result = await runClient(SDK, expectDenied ? [...args, '--expect-denied'] : args, {timeoutMs: 120000});
  for (const line of result.lines) console.log(JSON.stringify(line));
  assert.equal(result.error, undefined, `could not run the ${SDK} client: ${result.error}`);
  assert.equal(result.status, 0, `${SDK} client exited ${result.status ?? result.signal}:\n${result.stderr}`);

  const expected = ['listen-query', ...(expectDenied ? ['denied-listen'] : []), 'listen-after-denial'];
  const ops = result.lines.filter(line => line.op);
  assert.deepEqual(ops.map(line => line.op), expected);
  for (const line of ops) {
    assert.equal(line.outcome, line.expect, JSON.stringify(line));
    if (line.expect === 'denied') assert.equal(line.code, PERMISSION_DENIED, JSON.stringify(line));
  }
  // The listener's writes (orders/<run>-l1..l3) went through.
  for (const id of ['l1', 'l2', 'l3']) assert.deepEqual(await emulator.get(`orders/${runId}-${id}`), {run: runId});

  if (firewarden) {
    // The denied target was decided once: the SDK did not reopen it.
    const isSecretsDenial = line => line.method === 'Listen' && line.decision === 'deny' &&
      String(line.stream_message).startsWith('add_target') && JSON.stringify(line).includes('secrets');
    const access = await firewarden.settledAccessLog(lines => lines.some(isSecretsDenial));
    const denials = access.filter(isSecretsDenial);
    assert.equal(denials.length, 1, `Listen denials on secrets/: ${JSON.stringify(denials)}`);
    const listens = access.filter(line => line.method === 'Listen');
    console.log(`Listen access lines from the ${SDK} SDK: ${JSON.stringify(listens.map(l => l.decision))}`);
  }
});

// Starting the gRPC SDK client programs (grpc-client.js here, ../go,
// ../python-grpc, ../java) and reading their JSON result lines; used by
// grpc_sdk.test.js and capture-grpc.js. Each program takes the same
// arguments (--target, --project, --run, --expect-denied, --ca/--cert/--key).
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const E2E = path.resolve(__dirname, '..');
const SDKS = ['node', 'go', 'python', 'java'];

// The command line that starts one SDK's client (arguments follow). The Go
// and Java clients must have been built (tests/e2e.cmake's grpc-sdk-clients
// fixture, or scripts/capture-grpc-fixtures).
function clientCommand(sdk, goClient = process.env.GRPC_SDK_GO_CLIENT) {
  switch (sdk) {
    case 'node':
      return [process.execPath, path.join(E2E, 'node/grpc-client.js')];
    case 'go':
      if (!goClient) throw new Error('GRPC_SDK_GO_CLIENT must name the built Go client');
      return [goClient];
    case 'python':
      return [path.join(E2E, 'python-grpc/.venv/bin/python'), path.join(E2E, 'python-grpc/grpc_client.py')];
    case 'java': {
      const target = path.join(E2E, 'java/target');
      const classpath = fs.readFileSync(path.join(target, 'classpath.txt'), 'utf8').trim();
      return ['java', '-cp', `${target}/classes:${classpath}`, 'firewarden.e2e.SdkClient'];
    }
    default:
      throw new Error(`the SDK must be one of ${SDKS.join(', ')} (got ${JSON.stringify(sdk)})`);
  }
}

// Runs one client to its end (killed after timeoutMs) without blocking this
// process's event loop (a relay may be serving from it). onLine gets each
// result line as it is printed. Resolves {status, signal, error, stderr, lines}.
function runClient(sdk, args, {onLine = () => {}, timeoutMs = 240000, goClient} = {}) {
  const [command, ...prefix] = clientCommand(sdk, goClient);
  // Never Google credentials or a metadata server; the target is an argument.
  const env = {...process.env, METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: '127.0.0.1:9'};
  delete env.GOOGLE_APPLICATION_CREDENTIALS;
  delete env.FIRESTORE_EMULATOR_HOST;
  return new Promise(resolve => {
    const child = childProcess.spawn(command, [...prefix, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
    const lines = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', chunk => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop();
      for (const part of parts.filter(p => p.startsWith('{'))) {
        const line = JSON.parse(part);
        lines.push(line);
        onLine(line);
      }
    });
    child.stderr.on('data', chunk => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', error => {
      clearTimeout(timer);
      resolve({status: null, error, stderr, lines});
    });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({status, signal, stderr, lines});
    });
  });
}

module.exports = {SDKS, clientCommand, runClient};

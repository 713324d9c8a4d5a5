#!/usr/bin/env node
// Asks Google's own google-auth-library for an access token, the way an
// application would, so that the requests it sends to (fake) Google token
// endpoints can be compared with firewarden's. Prints {"token": …} on success.
//
//   node request-token.js external_account CREDENTIAL_FILE "SCOPE SCOPE…"
//   node request-token.js metadata "SCOPE SCOPE…"          (GCE_METADATA_HOST set)
//   node request-token.js impersonate CREDENTIAL_FILE TARGET_EMAIL IAM_ENDPOINT "SCOPE…" LIFETIME
//
// Only loopback endpoints are used: the credential file and GCE_METADATA_HOST
// point at the test server.
'use strict';

const {GoogleAuth, Compute, Impersonated} = require('google-auth-library');

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

async function client(mode, args) {
  switch (mode) {
    case 'external_account': {
      const [file, scopes] = args;
      return new GoogleAuth({keyFilename: file, scopes: scopes.split(' ')}).getClient();
    }
    case 'metadata':
      return new Compute({scopes: args[0].split(' ')});
    case 'impersonate': {
      const [file, targetPrincipal, endpoint, scopes, lifetime] = args;
      // generateAccessToken needs a source token with the cloud-platform scope.
      const sourceClient = await new GoogleAuth({keyFilename: file, scopes: [CLOUD_PLATFORM]})
                               .getClient();
      return new Impersonated({
        sourceClient,
        targetPrincipal,
        targetScopes: scopes.split(' '),
        lifetime: Number(lifetime),
        delegates: [],
        endpoint,
      });
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const c = await client(mode, args);
  const {token} = await c.getAccessToken();
  if (!token) throw new Error('no token');
  process.stdout.write(JSON.stringify({token}) + '\n');
}

main().catch((error) => {
  process.stderr.write(`request-token: ${error.message}\n`);
  process.exit(1);
});

// Generates the TypeScript types of each service's HTTP API from its OpenAPI
// document (docs/openapi/*.json, written by `npm run docs`), for the clients
// built on openapi-fetch: the gateway's calls to auth and the ledger, and the
// web app's calls to the gateway. test/repo/api-types.test.ts fails when a
// committed file is stale. Part of `npm run docs`.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each OpenAPI document and the types generated from it. */
export const apiTypes = [
  { document: 'docs/openapi/auth.json', output: 'packages/contracts/src/openapi/auth.d.ts' },
  { document: 'docs/openapi/transactions.json', output: 'packages/contracts/src/openapi/transactions.d.ts' },
  { document: 'docs/openapi/gateway.json', output: 'apps/web/src/api/schema.d.ts' },
];

const cli = join(dirname(createRequire(import.meta.url).resolve('openapi-typescript/package.json')), 'bin', 'cli.js');

/** Writes the types of `document` to `output` (paths relative to the repository). */
export function generateApiTypes(document, output) {
  execFileSync(process.execPath, [cli, join(root, document), '-o', output], { stdio: 'pipe', cwd: root });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { document, output } of apiTypes) {
    generateApiTypes(document, join(root, output));
    console.log(`${document} -> ${output}`);
  }
}

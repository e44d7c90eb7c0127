/**
 * The generated documents (npm run docs) must match the schemas they come
 * from: regenerate them in memory and compare with what is committed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateDocs, repositoryRoot, type GeneratedDocs } from '../../scripts/generate-docs';

describe('generated docs', () => {
  let generated: GeneratedDocs;
  before(async () => {
    generated = await generateDocs();
  });

  it('are up to date with the schemas, the HTTP apps and the config specs (else run `npm run docs`)', async () => {
    assert.ok(generated.size >= 5, 'asyncapi, messages, configuration and an OpenAPI document per service');
    for (const [path, expected] of generated) {
      const committed = await readFile(join(repositoryRoot, path), 'utf8').catch(() => undefined);
      assert.ok(committed !== undefined, `${path} is missing: run \`npm run docs\``);
      assert.ok(committed === expected, `${path} is out of date: run \`npm run docs\` and commit the result`);
    }
  });

  it('describe every message and every HTTP route', () => {
    const asyncApi = JSON.parse(generated.get('docs/asyncapi.json')!) as {
      components: { messages: Record<string, unknown> };
    };
    assert.ok(
      Object.keys(asyncApi.components.messages).includes('ledger_transfer_create'),
      'the AsyncAPI document describes ledger_transfer_create',
    );
    const ledgerApi = JSON.parse(generated.get('docs/openapi/transactions.json')!) as {
      paths: Record<string, unknown>;
    };
    for (const path of ['/v1/commands', '/v1/accounts/{accountId}', '/v1/accounts/{accountId}/entries', '/v1/verify']) {
      assert.ok(path in ledgerApi.paths, `transactions documents ${path}`);
    }
    const authApi = JSON.parse(generated.get('docs/openapi/auth.json')!) as { paths: Record<string, unknown> };
    assert.ok(
      '/v1/credentials' in authApi.paths && '/v1/authenticate' in authApi.paths,
      'auth documents /v1/credentials and /v1/authenticate',
    );
    assert.match(generated.get('docs/configuration.md')!, /`TRANSACTIONS_API_KEYS` +\| \*\*required\*\*/);
  });
});

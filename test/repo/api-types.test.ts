/**
 * The API types the clients are built on (openapi-fetch over types generated
 * by openapi-typescript) must match the OpenAPI documents they come from:
 * regenerate each into a temporary file and compare with what is committed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
// @ts-expect-error: a plain JavaScript script without type declarations.
import { apiTypes as untypedApiTypes, generateApiTypes as untypedGenerate } from '../../scripts/generate-api-types.mjs';

const apiTypes = untypedApiTypes as readonly { document: string; output: string }[];
const generateApiTypes = untypedGenerate as (document: string, output: string) => void;
const root = join(import.meta.dirname, '..', '..');

describe('generated API types', () => {
  const folder = mkdtempSync(join(tmpdir(), 't50-api-types-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  for (const { document, output } of apiTypes) {
    test(`${output} matches ${document} (else run npm run docs)`, () => {
      const fresh = join(folder, output.replaceAll('/', '_'));
      generateApiTypes(document, fresh);
      const committed = readFileSync(join(root, output), 'utf8');
      assert.ok(readFileSync(fresh, 'utf8') === committed, `${output} is stale: run npm run docs and commit it`);
    });
  }
});

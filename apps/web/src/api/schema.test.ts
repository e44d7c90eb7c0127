import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const web = resolve(import.meta.dirname, '..', '..');

test('the committed API client types match docs/openapi/gateway.json (npm run -w @t50/web generate)', () => {
  const folder = mkdtempSync(join(tmpdir(), 't50-web-schema-'));
  try {
    const fresh = join(folder, 'schema.d.ts');
    const cli = join(web, '..', '..', 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
    execFileSync(process.execPath, [cli, join(web, '..', '..', 'docs', 'openapi', 'gateway.json'), '-o', fresh], {
      stdio: 'pipe',
    });
    const committed = readFileSync(join(web, 'src', 'api', 'schema.d.ts'), 'utf8');
    assert.ok(
      readFileSync(fresh, 'utf8') === committed,
      'apps/web/src/api/schema.d.ts is stale: run npm run -w @t50/web generate and commit it',
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

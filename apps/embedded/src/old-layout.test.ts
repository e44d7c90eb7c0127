/**
 * A data folder made by an earlier version keeps one database per service
 * (`<data>/<service>/pgdata`). This version does not convert it: `npm start`
 * says so and what to do, exits 1, and leaves the old databases as they are
 * (no new database beside them).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startExpectingFailure } from '@t50/kit/testing';

const appRoot = fileURLToPath(new URL('..', import.meta.url));

void describe('embedded mode on a data folder of the old layout', () => {
  const dataDir = join(tmpdir(), `t50-old-layout-${randomBytes(4).toString('hex')}`);
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  void it('stops with a message saying what to do, exit 1, and changes nothing', { timeout: 120_000 }, async () => {
    for (const service of ['auth', 'transactions']) {
      await mkdir(join(dataDir, service, 'pgdata'), { recursive: true });
      await writeFile(join(dataDir, service, 'pgdata', 'PG_VERSION'), '17\n');
    }
    const failed = await startExpectingFailure(appRoot, 'src/main.ts', { EMBEDDED_DATA_DIR: dataDir });
    assert.equal(failed.code, 1, failed.output);
    assert.match(failed.stderr, /embedded mode failed to start: .* was made by an earlier version/);
    assert.match(failed.stderr, /transactions\/pgdata, auth\/pgdata/);
    assert.match(failed.stderr, /Move the folder away or delete it/);
    assert.match(failed.stderr, /EMBEDDED_DATA_DIR/);
    assert.equal(existsSync(join(dataDir, 'pgdata')), false, 'no new database beside the old ones');
    assert.ok(existsSync(join(dataDir, 'transactions', 'pgdata', 'PG_VERSION')), 'the old databases are kept');
  });
});

/**
 * `npm run -w @t50/transactions seed -- --data-dir <folder>`, typed exactly as
 * the README shows it: npm runs the script inside services/transactions, but a
 * relative folder must mean the folder the user typed the command in (npm's
 * INIT_CWD), where `npm start` keeps its data, not one inside the workspace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const workspace = join(repositoryRoot, 'services', 'transactions');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('seed --data-dir through npm', () => {
  const typedIn = join(tmpdir(), `t50-seed-cwd-${randomBytes(4).toString('hex')}`);
  // From the repository root, a relative path to a fresh folder elsewhere.
  const folder = relative(repositoryRoot, join(typedIn, 'data'));
  // The same words taken from the workspace's folder (where npm runs the script).
  const wrong = resolve(workspace, folder);
  after(async () => {
    await rm(typedIn, { recursive: true, force: true });
    await rm(resolve(wrong, '..'), { recursive: true, force: true });
  });

  it('resolves a relative folder from where the command was typed', async () => {
    await mkdir(typedIn, { recursive: true });
    const seeded = spawnSync(npm, ['run', '--silent', '-w', '@t50/transactions', 'seed', '--', '--data-dir', folder], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(seeded.status, 0, `${seeded.stdout}\n${seeded.stderr}`);
    const expected = join(typedIn, 'data', 'pgdata');
    assert.ok(existsSync(join(expected, 'PG_VERSION')), `the embedded database is in ${expected}`);
    assert.ok(seeded.stdout.includes(`seeded ${expected}:`), seeded.stdout);
    assert.match(seeded.stdout, / 12 applied, 0 already recorded, 0 refused/);
    assert.equal(existsSync(wrong), false, `nothing is written to ${wrong}`);
  });
});

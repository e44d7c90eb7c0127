// The keys CLI as an operator runs it: a real process against a real database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authApiKeyPattern } from '@t50/contracts';
import { after, before, describe, it } from 'node:test';
import { goodPassword, startHarness, type Harness } from '../testing/harness';

const serviceRoot = fileURLToPath(new URL('../..', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const scratch = join(tmpdir(), `t50-keys-cli-${randomBytes(4).toString('hex')}`);

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_keys_cli');
});
after(async () => {
  await harness.close();
  await rm(scratch, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runKeys(args: readonly string[], environment: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/keys.ts', ...args],
      {
        cwd: serviceRoot,
        env: { PATH: process.env.PATH ?? '', AUTH_DATABASE_URL: harness.testDatabase.url, ...environment },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const tryKey = (apiKey: string, email: string) =>
  harness.call('POST', '/v1/credentials', { apiKey, body: { email, password: goodPassword } });

void describe('keys CLI', () => {
  let key = '';
  let prefix = '';

  void it('create <name>: prints the new key alone on stdout, once; the key works', async () => {
    const run = await runKeys(['create', 'gateway-cli']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, run.stdout);
    key = lines[0] ?? '';
    const match = /^t50_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/.exec(key);
    assert.ok(match, key);
    prefix = match[1] ?? '';
    assert.match(run.stderr, new RegExp(`gateway-cli.*${prefix}.*shown only this once`));
    assert.equal((await tryKey(key, 'cli-1@example.com')).status, 201);
  });

  void it('list: shows prefix, name and state, never the secret', async () => {
    const run = await runKeys(['list']);
    assert.equal(run.code, 0, run.stderr);
    const line = run.stdout.split('\n').find((text) => text.startsWith(prefix));
    assert.ok(line, run.stdout);
    assert.match(line, /active/);
    assert.match(line, /gateway-cli$/);
    assert.ok(!run.stdout.includes(key.slice(13)), 'no secret in the listing');
    assert.ok(!run.stderr.includes(key.slice(13)), 'no secret in the logs');
  });

  void it('revoke <prefix>: the key stops working; list shows it revoked; a second revoke exits 1', async () => {
    const run = await runKeys(['revoke', prefix]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await tryKey(key, 'cli-2@example.com')).status, 401);
    const listed = await runKeys(['list']);
    assert.match(listed.stdout.split('\n').find((text) => text.startsWith(prefix)) ?? '', /revoked \d{4}-\d\d-\d\dT/);
    const again = await runKeys(['revoke', prefix]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No active key has prefix/);
  });

  void it('exits 2 with the usage on wrong arguments, and with the rule on a bad name', async () => {
    for (const args of [[], ['create'], ['list', 'extra'], ['remove', 'x'], ['create', 'a', 'b']]) {
      const run = await runKeys(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /usage: keys create <name>/);
    }
    const badName = await runKeys(['create', 'two words']);
    assert.equal(badName.code, 2, badName.stderr);
    assert.match(badName.stderr, /a key name is 1 to 64/);
  });

  void it('create <name> --out FILE: the key goes to a new file (mode 0600), nothing on stdout; never over a file', async () => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, 'gateway.key');
    const run = await runKeys(['create', 'gateway-out', '--out', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    const written = readFileSync(file, 'utf8').trim();
    assert.match(written, authApiKeyPattern);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!run.stderr.includes(written.slice(13)), 'the secret is not on stderr either');
    assert.equal((await tryKey(written, 'cli-out@example.com')).status, 201);

    const taken = join(scratch, 'taken.key');
    writeFileSync(taken, 'keep me');
    const refused = await runKeys(['create', 'gateway-out-2', '--out', taken]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(readFileSync(taken, 'utf8'), 'keep me');
    for (const args of [
      ['create', 'x', '--out'],
      ['list', '--out', file],
    ]) {
      assert.equal((await runKeys(args)).code, 2, args.join(' '));
    }
  });

  void it('the README command `npm run -s -w @t50/auth keys -- create gateway` prints only the key', async () => {
    const run = await new Promise<Run>((resolve) => {
      execFile(
        'npm',
        ['run', '-s', '-w', '@t50/auth', 'keys', '--', 'create', 'gateway-npm'],
        {
          cwd: repositoryRoot,
          env: { ...process.env, AUTH_DATABASE_URL: harness.testDatabase.url },
          timeout: 120_000,
        },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, run.stderr);
    // What `$(...)` captures is the key and nothing else, so it passes the gateway's AUTH_API_KEY check.
    assert.match(run.stdout.trim(), authApiKeyPattern);
    assert.equal((await tryKey(run.stdout.trim(), 'cli-npm@example.com')).status, 201);
  });

  void it('fails naming the missing database key when neither URL is set', async () => {
    const run = await runKeys(['list'], { AUTH_DATABASE_URL: '' });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /AUTH_DATABASE_URL or DATABASE_URL is required/);
  });
});

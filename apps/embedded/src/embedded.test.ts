/**
 * Embedded mode as a newcomer meets it: the root `npm start` command as a
 * child process on a fresh data folder (with missing parents) and free ports.
 * It must answer ready, keep what it is given across a SIGTERM and a restart,
 * and stop with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/**
 * The promise is ready within 60 s; a test machine under heavy load (the whole
 * suite in parallel) gets twice that before the test calls it a failure.
 */
const readyWithinMs = 120_000;

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly urls: Record<string, string>;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** The command behind `npm start`, run directly so SIGTERM reaches the process itself. */
function startCommand(): string[] {
  const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (manifest.scripts.start ?? '').split(' ');
  assert.equal(words[0], 'node', 'npm start runs node');
  return words.slice(1);
}

/** Every process this file started and has not seen exit: killed, with their children, whatever happens. */
const alive = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILL to the child's whole process group (it is started detached, as its group's leader). */
function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

async function start(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, startCommand(), {
    cwd: repositoryRoot,
    env: { ...process.env, EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PORT: '0', LOG_LEVEL: 'info' },
    detached: true,
  });
  alive.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      alive.delete(child);
      done(code);
    }),
  );
  const startedAt = Date.now();
  try {
    // Bounded: one look every 200 ms until the banner's last line, the deadline, or an early exit.
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (child.exitCode !== null) assert.fail(`embedded mode exited with ${child.exitCode}:\n${output}`);
      if (Date.now() - startedAt > readyWithinMs) assert.fail(`no banner within ${readyWithinMs} ms:\n${output}`);
      await new Promise((done) => setTimeout(done, 200));
    }
    const urls: Record<string, string> = {};
    for (const match of output.matchAll(/^ {2}(\w+) +(http:\/\/127\.0\.0\.1:\d+) /gm)) urls[match[1]!] = match[2]!;
    for (const [name, url] of Object.entries(urls)) {
      const ready = await fetch(`${url}/health/ready`);
      assert.equal(ready.status, 200, `${name} is ready`);
    }
    assert.ok(Date.now() - startedAt < readyWithinMs, `ready within ${readyWithinMs} ms`);
    return { child, urls, output: () => output, exited };
  } catch (error) {
    // A start that failed leaves nothing running (its pid file would hold the folder).
    killGroup(child);
    await exited;
    throw error;
  }
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  const timeout = setTimeout(() => killGroup(running.child), 30_000);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timeout);
  }
}

/** Runs a case with embedded mode started on `dataDir`; the process is gone when the case ends, pass or fail. */
async function withRunning(dataDir: string, work: (running: Running) => Promise<void>): Promise<void> {
  const running = await start(dataDir);
  try {
    await work(running);
  } finally {
    if (running.child.exitCode === null && running.child.signalCode === null) {
      killGroup(running.child);
      await running.exited;
    }
  }
}

const ledgerKey = (dataDir: string) => readFileSync(join(dataDir, 'secrets', 'transactions-api-key'), 'utf8').trim();
const gatewayKey = (dataDir: string) => readFileSync(join(dataDir, 'secrets', 'auth-gateway-api-key'), 'utf8').trim();

async function call(
  url: string,
  key: string,
  method: 'GET' | 'POST',
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A call to the gateway as the web app makes it: a bearer token, JSON or raw bytes. */
async function asUser(
  url: string,
  token: string | undefined,
  method: 'GET' | 'POST',
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The user's ledger accounts are opened by the `user registered` event, a moment after the answer. */
async function balancesOf(gateway: string, token: string): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const accounts = await asUser(`${gateway}/v1/accounts`, token, 'GET');
    assert.equal(accounts.status, 200, JSON.stringify(accounts.json));
    const balances = accounts.json.balances as { asset: string; balance: string }[];
    if (balances.length === 3) return Object.fromEntries(balances.map((row) => [row.asset, row.balance]));
    await new Promise((done) => setTimeout(done, 100));
  }
  return assert.fail('the ledger accounts were not opened within 10 s');
}

describe('embedded mode (npm start)', () => {
  const root = join(tmpdir(), `t50-embedded-${randomBytes(4).toString('hex')}`);
  const dataDir = join(root, 'not', 'yet', 'there');
  const userId = `embedded-${randomBytes(3).toString('hex')}`;
  const email = `${userId}@example.com`;
  const password = 'correct horse battery staple 42';
  const webEmail = `web-${userId}@example.com`;
  let webToken = '';

  after(async () => {
    for (const child of alive) killGroup(child);
    await rm(root, { recursive: true, force: true });
  });

  it('starts on a fresh folder, serves the gateway, the ledger and auth, and stops with exit 0', () =>
    withRunning(dataDir, async (running) => {
      assert.deepEqual(Object.keys(running.urls).sort(), ['auth', 'gateway', 'transactions']);
      const ledger = running.urls.transactions!;
      const key = ledgerKey(dataDir);
      assert.ok(key.length >= 32, 'a generated ledger key is kept in the data folder');
      assert.equal(
        (await call(`${ledger}/v1/owners/seed-alice/accounts`, 'wrong-key-wrong-key-wrong-key-wrong', 'GET')).status,
        401,
      );

      // The sample data is there at once: alice has 975.00 USD, 100.00 of it held for a payout.
      const alice = await call(`${ledger}/v1/accounts/user:seed-alice:USD`, key, 'GET');
      assert.equal(alice.status, 200);
      assert.equal(alice.json.balance, '97500');
      assert.equal(alice.json.available, '87500');

      const opened = await call(`${ledger}/v1/commands`, key, 'POST', {
        id: `open-${userId}`,
        type: 'ledger.account.open',
        version: 1,
        data: { ownerId: userId, asset: 'USD' },
      });
      assert.equal(opened.status, 200, JSON.stringify(opened.json));
      const deposited = await call(`${ledger}/v1/commands`, key, 'POST', {
        id: `deposit-${userId}`,
        type: 'ledger.transfer.create',
        version: 1,
        data: {
          transferId: `deposit-${userId}`,
          code: 'deposit',
          legs: [
            {
              debitAccountId: 'system:sandbox_clearing:USD',
              creditAccountId: `user:${userId}:USD`,
              asset: 'USD',
              amount: '1234',
            },
          ],
        },
      });
      assert.equal(deposited.status, 200, JSON.stringify(deposited.json));
      const balance = await call(`${ledger}/v1/accounts/user:${userId}:USD`, key, 'GET');
      assert.equal(balance.json.balance, '1234');

      const created = await call(`${running.urls.auth!}/v1/credentials`, gatewayKey(dataDir), 'POST', {
        email,
        password,
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));

      // Through the gateway, as the web app will: register, KYC 1 and 2 (the sandbox reviewer approves).
      const gateway = running.urls.gateway!;
      assert.equal((await asUser(`${gateway}/v1/me`, undefined, 'GET')).status, 401);
      const registered = await asUser(`${gateway}/v1/auth/register`, undefined, 'POST', { email: webEmail, password });
      assert.equal(registered.status, 201, JSON.stringify(registered.json));
      webToken = registered.json.accessToken as string;
      assert.equal((await asUser(`${gateway}/v1/me`, webToken, 'GET')).json.tier, 'browsing');
      assert.deepEqual(await balancesOf(gateway, webToken), { ETH: '0', EUR: '0', USD: '0' });
      const level1 = await asUser(`${gateway}/v1/kyc/level1`, webToken, 'POST', {
        firstName: 'Grace',
        lastName: 'Hopper',
        dateOfBirth: '1956-12-09',
        address: { line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' },
        phone: '+15551234567',
      });
      assert.equal(level1.status, 200, JSON.stringify(level1.json));
      assert.equal((await asUser(`${gateway}/v1/me`, webToken, 'GET')).json.tier, 'basic');
      const uploaded = await asUser(
        `${gateway}/v1/kyc/documents`,
        webToken,
        'POST',
        Buffer.from('%PDF-1.4\n%%EOF\n'),
        'application/pdf',
      );
      assert.equal(uploaded.status, 201, JSON.stringify(uploaded.json));
      const level2 = await asUser(`${gateway}/v1/kyc/level2`, webToken, 'POST', {
        documentType: 'passport',
        documentNumber: 'P-1234567',
        issuingCountry: 'US',
        expiryDate: '2034-01-01',
        documentId: uploaded.json.documentId,
      });
      assert.equal(level2.status, 201, JSON.stringify(level2.json));
      assert.equal(level2.json.status, 'approved');
      assert.equal((await asUser(`${gateway}/v1/me`, webToken, 'GET')).json.tier, 'full');

      assert.equal(await stop(running), 0, running.output());
      assert.match(running.output(), /Stopped\./);
      assert.equal(existsSync(join(dataDir, 'embedded.pid')), false, 'the pid file is removed');
    }));

  it('leaves a folder the seed command can open, and the sample is already complete', () => {
    const seeded = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'services/transactions/src/cli/seed.ts', '--data-dir', dataDir],
      {
        cwd: repositoryRoot,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(seeded.status, 0, seeded.stderr);
    assert.match(seeded.stdout, / 0 applied, 12 already recorded, 0 refused/);
  });

  it('keeps everything across a restart on the same folder', () => {
    const firstKey = ledgerKey(dataDir);
    const firstGatewayKey = gatewayKey(dataDir);
    return withRunning(dataDir, async (running) => {
      assert.equal(ledgerKey(dataDir), firstKey, 'the ledger key is reused');
      assert.notEqual(gatewayKey(dataDir), firstGatewayKey, "auth's gateway key is made anew at each start");
      assert.match(running.output(), /sample data: users .* \(already there\)/);

      const balance = await call(`${running.urls.transactions!}/v1/accounts/user:${userId}:USD`, firstKey, 'GET');
      assert.equal(balance.status, 200);
      assert.equal(balance.json.balance, '1234');
      const authenticated = await call(`${running.urls.auth!}/v1/authenticate`, gatewayKey(dataDir), 'POST', {
        email,
        password,
      });
      assert.equal(authenticated.status, 200, JSON.stringify(authenticated.json));
      // The gateway's signing key is kept: a token from before the restart still works, and so does the login.
      const gateway = running.urls.gateway!;
      const me = await asUser(`${gateway}/v1/me`, webToken, 'GET');
      assert.equal(me.status, 200, JSON.stringify(me.json));
      assert.equal(me.json.tier, 'full');
      const login = await asUser(`${gateway}/v1/auth/login`, undefined, 'POST', { email: webEmail, password });
      assert.equal(login.status, 200, JSON.stringify(login.json));
      assert.deepEqual(await balancesOf(gateway, login.json.accessToken as string), { ETH: '0', EUR: '0', USD: '0' });

      const verify = await call(`${running.urls.transactions!}/v1/verify`, firstKey, 'GET');
      assert.equal(verify.status, 200, 'the books balance');

      assert.equal(await stop(running), 0, running.output());
    });
  });
});

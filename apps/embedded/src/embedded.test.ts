/**
 * Embedded mode as a newcomer meets it: the root `npm start` command as a
 * child process on a fresh data folder (with missing parents) and free ports.
 * It must answer ready, keep what it is given across a SIGTERM and a restart,
 * and stop with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repositoryRoot, startEmbedded, type EmbeddedProcess } from './testing';

type Running = EmbeddedProcess;
const start = (dataDir: string) => startEmbedded(dataDir);
const stop = (running: Running) => running.stop();

/** Runs a case with embedded mode started on `dataDir`; the process is gone when the case ends, pass or fail. */
async function withRunning(dataDir: string, work: (running: Running) => Promise<void>): Promise<void> {
  const running = await start(dataDir);
  try {
    for (const [name, url] of Object.entries(running.urls)) {
      const ready = await fetch(`${url}/health/ready`);
      assert.equal(ready.status, 200, `${name} is ready`);
    }
    await work(running);
  } finally {
    await running.kill();
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
    await rm(root, { recursive: true, force: true });
  });

  it('starts on a fresh folder, serves the gateway, the ledger, auth and payments, and stops with exit 0', () =>
    withRunning(dataDir, async (running) => {
      assert.deepEqual(Object.keys(running.urls).sort(), ['auth', 'gateway', 'payments', 'transactions']);
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

/**
 * The demo users of `npm start`, as a newcomer meets them: the root start
 * command as a child process on a fresh data folder and free ports. The banner
 * says which URL to open and lists alice, bob and the operator with their
 * passwords (kept owner-only in secrets/demo-users.json); alice and bob are
 * tier Full with money, the operator reviews KYC. A restart keeps the same
 * passwords and adds no money; with EMBEDDED_KYC_AUTO_APPROVE=false a KYC
 * level 2 submission waits for the operator; a lost passwords file is said
 * plainly instead of printing passwords that do not work.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repositoryRoot, startEmbedded, type EmbeddedProcess } from './testing';

interface Started {
  readonly process: EmbeddedProcess;
  readonly url: string;
  /** What the start printed up to its banner's last line. */
  readonly banner: string;
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const started = await startEmbedded(dataDir, {
    env: {
      EMBEDDED_SEED: 'true',
      EMBEDDED_WEB_BUILD: 'false',
      GATEWAY_WEB_DIR: join(repositoryRoot, 'apps/web/dist'),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  return { process: started, url: started.gateway, banner: started.output() };
}

async function stop(started: Started): Promise<void> {
  assert.equal(await started.process.stop(), 0, 'a stop is clean');
}

async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; pdf?: Buffer } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.pdf !== undefined) {
    headers['content-type'] = 'application/pdf';
    body = Uint8Array.from(options.pdf);
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function logIn(url: string, email: string, password: string): Promise<string> {
  const reply = await call(url, 'POST', '/v1/auth/login', { json: { email, password } });
  assert.equal(reply.status, 200, `${email} logs in: ${JSON.stringify(reply.body)}`);
  return String(reply.body.accessToken);
}

async function balances(url: string, token: string): Promise<Record<string, string>> {
  const reply = await call(url, 'GET', '/v1/accounts', { token });
  assert.equal(reply.status, 200);
  const rows = reply.body.balances as { asset: string; balance: string }[];
  return Object.fromEntries(rows.map((row) => [row.asset, row.balance]));
}

/** A new user through KYC level 1 and 2; the level 2 submission as answered. */
async function newUserWithKyc2(url: string, documentNumber: string) {
  const email = `kyc-${randomUUID()}@example.com`;
  const registered = await call(url, 'POST', '/v1/auth/register', {
    json: { email, password: 'violet-harbour-ledger-7' },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const token = String(registered.body.accessToken);
  const level1 = await call(url, 'POST', '/v1/kyc/level1', {
    token,
    json: {
      firstName: 'Kim',
      lastName: 'Tester',
      dateOfBirth: '1985-07-01',
      address: { line1: '3 Test Lane', city: 'Bristol', postalCode: 'BS1 4DJ', country: 'GB' },
      phone: '+441179000000',
    },
  });
  assert.equal(level1.status, 200, JSON.stringify(level1.body));
  const document = await call(url, 'POST', '/v1/kyc/documents', { token, pdf: Buffer.from('%PDF-1.4\n%%EOF\n') });
  assert.equal(document.status, 201, JSON.stringify(document.body));
  const level2 = await call(url, 'POST', '/v1/kyc/level2', {
    token,
    json: {
      documentType: 'passport',
      documentNumber,
      issuingCountry: 'GB',
      expiryDate: '2035-01-31',
      documentId: document.body.documentId,
    },
  });
  assert.equal(level2.status, 201, JSON.stringify(level2.body));
  return { token, submission: level2.body as { submissionId: string; status: string } };
}

const tierOf = async (url: string, token: string) => (await call(url, 'GET', '/v1/me', { token })).body.tier;

interface DemoUser {
  email: string;
  password: string;
  role: string;
}

describe('demo users in embedded mode', () => {
  let dataDir: string;
  let first: DemoUser[];
  const running: Started[] = [];

  before(async () => {
    // The app the gateway serves (built only when missing or stale).
    const built = spawnSync(process.execPath, ['scripts/build-web.mjs'], { cwd: repositoryRoot, encoding: 'utf8' });
    assert.equal(built.status, 0, `${built.stdout}${built.stderr}`);
    dataDir = await mkdtemp(join(tmpdir(), 't50-demo-'));
  });
  after(async () => {
    for (const started of running) await started.process.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the first start makes alice and bob (Full, with money) and the operator, and says which URL to open', async () => {
    const started = await start(dataDir);
    running.push(started);
    const { url, banner } = started;
    assert.match(banner, new RegExp(`^Open ${url.replaceAll('.', '\\.')} in your browser$`, 'm'));
    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Transactions50<\/title>/);

    const file = join(dataDir, 'secrets', 'demo-users.json');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'owner-only');
    first = JSON.parse(readFileSync(file, 'utf8')) as DemoUser[];
    assert.deepEqual(
      first.map(({ email, role }) => ({ email, role })),
      [
        { email: 'alice@example.com', role: 'user' },
        { email: 'bob@example.com', role: 'user' },
        { email: 'operator@example.com', role: 'operator' },
      ],
    );
    assert.equal(new Set(first.map((user) => user.password)).size, 3, 'each has its own password');
    for (const user of first) {
      assert.ok(user.password.length >= 20, 'a strong password');
      assert.ok(banner.includes(`${user.email}`) && banner.includes(user.password), `the banner shows ${user.email}`);
    }

    const [alice, bob, operator] = first as [DemoUser, DemoUser, DemoUser];
    const aliceToken = await logIn(url, alice.email, alice.password);
    const bobToken = await logIn(url, bob.email, bob.password);
    const me = (await call(url, 'GET', '/v1/me', { token: aliceToken })).body;
    assert.equal(me.tier, 'full');
    assert.deepEqual(me.kyc, { level1: true, level2: 'approved' });
    assert.equal(await tierOf(url, bobToken), 'full');
    // 2,500.00 USD in, 42.00 sent to bob; 1,200.00 EUR; 2 ETH.
    assert.deepEqual(await balances(url, aliceToken), { USD: '245800', EUR: '120000', ETH: '2000000000000000000' });
    assert.deepEqual(await balances(url, bobToken), { USD: '84200', EUR: '45000', ETH: '500000000000000000' });
    const history = await call(url, 'GET', '/v1/accounts/USD/history', { token: aliceToken });
    assert.equal(history.status, 200);
    assert.match(JSON.stringify(history.body), /"send"/, 'the send is in her history');

    const operatorToken = await logIn(url, operator.email, operator.password);
    assert.equal((await call(url, 'GET', '/v1/me', { token: operatorToken })).body.role, 'operator');
    assert.equal((await call(url, 'GET', '/v1/operator/kyc/pending', { token: operatorToken })).status, 200);
    assert.equal((await call(url, 'GET', '/v1/operator/kyc/pending', { token: aliceToken })).status, 403);

    // The sandbox reviewer approves at once, except a document number starting with PENDING.
    const approved = await newUserWithKyc2(url, 'X1234567');
    assert.equal(approved.submission.status, 'approved');
    const waiting = await newUserWithKyc2(url, 'PENDING-1234');
    assert.equal(waiting.submission.status, 'pending');
    assert.equal(await tierOf(url, waiting.token), 'basic');
    await stop(started);
  });

  test('a restart keeps the passwords and adds no money; with auto-approval off, KYC level 2 waits for the operator', async () => {
    const started = await start(dataDir, { EMBEDDED_KYC_AUTO_APPROVE: 'false' });
    running.push(started);
    const { url, banner } = started;
    const again = JSON.parse(readFileSync(join(dataDir, 'secrets', 'demo-users.json'), 'utf8')) as DemoUser[];
    assert.deepEqual(again, first);
    for (const user of again)
      assert.ok(banner.includes(user.password), `the banner shows the password of ${user.email}`);
    assert.match(banner, /KYC level 2 waits for an operator/);

    const [alice, bob, operator] = again as [DemoUser, DemoUser, DemoUser];
    assert.deepEqual(await balances(url, await logIn(url, alice.email, alice.password)), {
      USD: '245800',
      EUR: '120000',
      ETH: '2000000000000000000',
    });
    assert.deepEqual(await balances(url, await logIn(url, bob.email, bob.password)), {
      USD: '84200',
      EUR: '45000',
      ETH: '500000000000000000',
    });

    const person = await newUserWithKyc2(url, 'X7654321');
    assert.equal(person.submission.status, 'pending', 'no sandbox approval');
    assert.equal(await tierOf(url, person.token), 'basic');
    const operatorToken = await logIn(url, operator.email, operator.password);
    const queue = await call(url, 'GET', '/v1/operator/kyc/pending', { token: operatorToken });
    assert.ok(JSON.stringify(queue.body).includes(person.submission.submissionId), 'in the review queue');
    const approval = await call(url, 'POST', `/v1/operator/kyc/${person.submission.submissionId}/approve`, {
      token: operatorToken,
    });
    assert.equal(approval.status, 200, JSON.stringify(approval.body));
    assert.equal(await tierOf(url, person.token), 'full');
    await stop(started);
  });

  test('without the passwords file, the banner says so and prints no password', async () => {
    rmSync(join(dataDir, 'secrets', 'demo-users.json'));
    const started = await start(dataDir);
    running.push(started);
    assert.match(started.banner, /no demo users: demo users exist but .*demo-users\.json is missing or damaged/);
    for (const user of first)
      assert.ok(!started.banner.includes(user.password), `the banner shows no password (${user.email})`);
    assert.equal((await fetch(`${started.url}/health/ready`)).status, 200, 'the platform runs anyway');
    await stop(started);
  });
});

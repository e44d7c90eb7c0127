/**
 * The browser tests' platform and browser, both real:
 *
 * - `startPlatform()` runs `npm start`'s command (embedded mode: every
 *   service, the gateway serving the built app) as a child process on free
 *   ports, in a fresh temporary data folder, and resolves once its banner says
 *   it is ready (`@t50/embedded/testing`). The child leads its own process group; `stop()` ends
 *   it (SIGTERM, then SIGKILL to the group after 15 s) and deletes the folder. A
 *   test process that ends in any other way (failure, Ctrl-C, the runner's
 *   timeout) still kills every group it started.
 * - `launchBrowser()` starts Debian's Chromium (/usr/bin/chromium, or
 *   CHROMIUM_PATH; `bash scripts/ensure-chromium.sh` installs it) headless
 *   through playwright-core, with a new empty profile that is deleted on close.
 *
 * KYC level 2 in these tests: the embedded sandbox reviewer approves a
 * submission at once, except one whose document number starts with `PENDING`
 * (it waits for an operator, e.g. the demo user operator@example.com);
 * `startPlatform({ kycAutoApprove: false })` leaves every submission pending.
 * `submitPendingKyc(url)` makes a user with one pending submission through the
 * API.
 *
 * The web app is built once per test process (scripts/build-web.mjs, when
 * apps/web/dist is missing or older than its sources); the platforms then
 * start without checking again (EMBEDDED_WEB_BUILD=false).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot, startEmbedded, type EmbeddedProcess } from '@t50/embedded/testing';
import { chromium, type Browser } from 'playwright-core';

export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly role: string;
}

export interface RunningPlatform {
  /** The gateway's origin: the web app at /, the API at /v1. */
  readonly url: string;
  readonly dataDir: string;
  /** alice@example.com and bob@example.com (role user, tier Full, with balances), operator@example.com (role operator). */
  readonly demoUsers: DemoUser[];
  /** What the platform printed so far (the banner, and any error). */
  output(): string;
  /** Ends the platform's whole process group and deletes its data folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** false: every KYC level 2 submission waits for an operator (EMBEDDED_KYC_AUTO_APPROVE=false). Default true. */
  readonly kycAutoApprove?: boolean;
  /** More environment for the platform (e.g. ACCESS_TOKEN_TTL_SECONDS). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the banner. Default 120 s. */
  readonly readyWithinMs?: number;
}

export { repositoryRoot };
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let webBuilt = false;
/** Builds the web app when it is missing or stale (once per test process). */
export function ensureWebAppBuilt(): void {
  if (webBuilt) return;
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'scripts/build-web.mjs')], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0)
    throw new Error(`the web app did not build:\n${result.stdout}${result.stderr}${String(result.error ?? '')}`);
  if (!existsSync(join(repositoryRoot, 'apps/web/dist/index.html')))
    throw new Error('apps/web/dist/index.html is missing after the build');
  webBuilt = true;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  ensureWebAppBuilt();
  const dataDir = await mkdtemp(join(tmpdir(), 't50-e2e-'));
  let started: EmbeddedProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (started !== undefined && (await withDeadline(started.stop(), 15_000)) === 'late') await started.kill();
      rmSync(dataDir, { recursive: true, force: true });
    })());
  try {
    started = await startEmbedded(dataDir, {
      readyWithinMs: options.readyWithinMs ?? 120_000,
      env: {
        EMBEDDED_SEED: 'true',
        EMBEDDED_WEB_BUILD: 'false',
        EMBEDDED_KYC_AUTO_APPROVE: String(options.kycAutoApprove ?? true),
        GATEWAY_WEB_DIR: join(repositoryRoot, 'apps/web/dist'),
        LOG_LEVEL: 'info',
        ...options.env,
      },
    });
    const output = started.output;
    const url = /^Open (http:\/\/\S+) in your browser$/m.exec(output())?.[1];
    if (url === undefined) throw new Error(`the banner names no URL to open (is the web app built?):\n${output()}`);
    const ready = await fetch(`${url}/health/ready`);
    if (ready.status !== 200) throw new Error(`${url}/health/ready answered ${ready.status}`);
    const demoUsers = JSON.parse(readFileSync(join(dataDir, 'secrets', 'demo-users.json'), 'utf8')) as DemoUser[];
    return { url, dataDir, demoUsers, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** 'late' when `work` has not settled within `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Debian's Chromium, headless, with a fresh empty profile (playwright-core makes one per launch and deletes it on close). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`no browser at ${chromiumPath}: run bash scripts/ensure-chromium.sh (or set CHROMIUM_PATH)`);
  return await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Calls the platform's API as a client would; the body is parsed when it is JSON. */
export async function api(
  url: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: Buffer; contentType?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/octet-stream';
    body = Uint8Array.from(options.body);
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  const parsed =
    /json/.test(response.headers.get('content-type') ?? '') && text !== ''
      ? (JSON.parse(text) as Record<string, unknown>)
      : {};
  return { status: response.status, body: parsed };
}

/** Logs in through the API; the access token. */
export async function logInByApi(url: string, email: string, password: string): Promise<string> {
  const reply = await api(url, 'POST', '/v1/auth/login', { json: { email, password } });
  if (reply.status !== 200 || typeof reply.body.accessToken !== 'string')
    throw new Error(`login of ${email} answered ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.accessToken;
}

export interface PendingKycUser {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly submissionId: string;
  readonly documentNumber: string;
}

/**
 * A new user (tier Basic) with one KYC level 2 submission waiting for an
 * operator, made through the API: the document number starts with PENDING,
 * which the embedded sandbox reviewer leaves alone.
 */
export async function submitPendingKyc(
  url: string,
  person: { firstName?: string; lastName?: string } = {},
): Promise<PendingKycUser> {
  const suffix = randomUUID().slice(0, 8);
  const email = `pending-${suffix}@example.com`;
  const password = `pending-review-${randomUUID()}`;
  const registered = await api(url, 'POST', '/v1/auth/register', { json: { email, password } });
  if (registered.status !== 201)
    throw new Error(`register answered ${registered.status} ${JSON.stringify(registered.body)}`);
  const token = String(registered.body.accessToken);
  const userId = String((registered.body.user as { userId: string }).userId);
  const level1 = await api(url, 'POST', '/v1/kyc/level1', {
    token,
    json: {
      firstName: person.firstName ?? 'Penny',
      lastName: person.lastName ?? 'Pending',
      dateOfBirth: '1988-03-14',
      address: { line1: '2 Review Road', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
      phone: '+441132345678',
    },
  });
  if (level1.status !== 200) throw new Error(`KYC level 1 answered ${level1.status} ${JSON.stringify(level1.body)}`);
  const document = await api(url, 'POST', '/v1/kyc/documents', {
    token,
    body: Buffer.from('%PDF-1.4\n% identity document\n%%EOF\n'),
    contentType: 'application/pdf',
  });
  if (document.status !== 201) throw new Error(`upload answered ${document.status} ${JSON.stringify(document.body)}`);
  const documentNumber = `PENDING-${suffix}`.toUpperCase();
  const level2 = await api(url, 'POST', '/v1/kyc/level2', {
    token,
    json: {
      documentType: 'passport',
      documentNumber,
      issuingCountry: 'GB',
      expiryDate: '2035-06-30',
      documentId: document.body.documentId,
    },
  });
  if (level2.status !== 201 || level2.body.status !== 'pending')
    throw new Error(`KYC level 2 answered ${level2.status} ${JSON.stringify(level2.body)}`);
  return { email, password, userId, submissionId: String(level2.body.submissionId), documentNumber };
}

/**
 * The web app on the gateway's origin (GATEWAY_WEB_DIR), against a real
 * gateway (auth, ledger, PostgreSQL, RabbitMQ, Redis behind it) and a small
 * built-app folder: files as they are, index.html for the app's own routes,
 * the API's paths never swallowed, strict security headers, caching by kind.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, createLogger } from '@t50/kit';
import { startGatewayHarness, type GatewayHarness, type Reply } from '../testing/harness';
import { serveWebApp, webContentSecurityPolicy } from './static';

const indexHtml =
  '<!doctype html><html><head><title>Transactions50</title></head><body><div id="root"></div></body></html>\n';
const appJs = 'document.getElementById("root").textContent = "hello";\n';
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

let webDir: string;
let h: GatewayHarness;

before(async () => {
  webDir = await mkdtemp(join(tmpdir(), 't50-web-'));
  await mkdir(join(webDir, 'assets'));
  await writeFile(join(webDir, 'index.html'), indexHtml);
  await writeFile(join(webDir, 'assets', 'index-3f2a9c1b.js'), appJs);
  await writeFile(join(webDir, 'assets', 'index-77aa01ce.css'), 'body { margin: 0; }\n');
  await writeFile(join(webDir, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
  await writeFile(join(webDir, '.env'), 'SECRET=do-not-serve\n');
  h = await startGatewayHarness('webapp', { GATEWAY_WEB_DIR: webDir });
});
after(async () => {
  await h?.close();
  if (webDir !== undefined) await rm(webDir, { recursive: true, force: true });
});

function assertAppHeaders(reply: Reply, cacheControl: string): void {
  assert.equal(reply.headers['content-security-policy'], webContentSecurityPolicy);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  assert.equal(reply.headers['referrer-policy'], 'no-referrer');
  assert.equal(reply.headers['x-frame-options'], 'DENY');
  assert.equal(reply.headers['cache-control'], cacheControl);
}

function assertNotFoundProblem(reply: Reply): void {
  assert.equal(reply.status, 404, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.body?.code, 'not_found');
}

describe('the built app', () => {
  test('the root path is index.html, revalidated at every load, under a strict policy', async () => {
    const reply = await h.call('GET', '/', { headers: html });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/html/);
    assert.equal(reply.text, indexHtml);
    assertAppHeaders(reply, 'no-cache');
    // The policy a browser gets: this origin only, no inline script, no framing.
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data: blob:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      assert.ok(webContentSecurityPolicy.split('; ').includes(directive), directive);
    assert.doesNotMatch(webContentSecurityPolicy, /unsafe-eval/);
    assert.doesNotMatch(/script-src [^;]*/.exec(webContentSecurityPolicy)?.[0] ?? '', /unsafe-inline/);
  });

  test('hashed assets are served with their type and cached for a year', async () => {
    const script = await h.call('GET', '/assets/index-3f2a9c1b.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.equal(script.text, appJs);
    assertAppHeaders(script, 'public, max-age=31536000, immutable');
    const style = await h.call('GET', '/assets/index-77aa01ce.css');
    assert.equal(style.status, 200);
    assert.match(String(style.headers['content-type']), /^text\/css/);
  });

  test('other files at the root are served and revalidated', async () => {
    const reply = await h.call('GET', '/robots.txt');
    assert.equal(reply.status, 200);
    assert.match(reply.text, /Disallow/);
    assertAppHeaders(reply, 'no-cache');
  });

  test('a page of the app (a reload on one of its routes) gets index.html; a missing file does not', async () => {
    for (const path of ['/accounts/USD', '/kyc', '/login?next=%2Faccounts']) {
      const reply = await h.call('GET', path, { headers: html });
      assert.equal(reply.status, 200, path);
      assert.equal(reply.text, indexHtml, path);
      assertAppHeaders(reply, 'no-cache');
    }
    // A script or image the page asks for does not accept HTML: a 404, not the page.
    assertNotFoundProblem(await h.call('GET', '/assets/index-00000000.js', { headers: { accept: '*/*' } }));
    assertNotFoundProblem(await h.call('GET', '/favicon.ico', { headers: { accept: 'image/avif,image/webp,*/*' } }));
  });

  test('HEAD answers like GET without a body', async () => {
    const reply = await h.call('HEAD', '/assets/index-3f2a9c1b.js');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, '');
    assertAppHeaders(reply, 'public, max-age=31536000, immutable');
  });

  test('nothing outside the folder and no dotfile is served', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fetc%2fpasswd',
      '/.env',
      '/%2eenv',
    ]) {
      const reply = await h.call('GET', path, { headers: { accept: '*/*' } });
      assert.notEqual(reply.status, 200, path);
      assert.doesNotMatch(reply.text, /root:|SECRET|"name"/, path);
      // Asked as a page, it is the app's page, never the file.
      const page = await h.call('GET', path, { headers: html });
      if (page.status === 200) assert.equal(page.text, indexHtml, path);
    }
  });
});

describe('the API keeps its paths', () => {
  test('an unknown API path is a 404 problem document even when HTML is asked for', async () => {
    for (const path of ['/v1/nope', '/v1', '/health/nope', '/docs/nope.html']) {
      assertNotFoundProblem(await h.call('GET', path, { headers: html }));
    }
    assertNotFoundProblem(await h.call('POST', '/accounts', { body: {}, headers: html }));
  });

  test('the API, health, metrics and docs answer as before', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const me = await h.call('GET', '/v1/me', { token: user.token, headers: html });
    assert.equal(me.status, 200);
    assert.equal(me.body?.email, user.email);
    assert.equal((await h.call('GET', '/health/live', { headers: html })).body?.status, 'ok');
    assert.match((await h.call('GET', '/metrics', { headers: html })).text, /http_request_duration_seconds/);
    assert.equal((await h.call('GET', '/docs/json')).status, 200);
  });

  test('over a real socket: the page, then its script', async () => {
    await h.service.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.service.app.server.address() as { port: number };
    const page = await fetch(`http://127.0.0.1:${port}/wallet`, { headers: html });
    assert.equal(page.status, 200);
    assert.equal(await page.text(), indexHtml);
    assert.equal(page.headers.get('content-security-policy'), webContentSecurityPolicy);
    const script = await fetch(`http://127.0.0.1:${port}/assets/index-3f2a9c1b.js`);
    assert.equal(await script.text(), appJs);
  });
});

describe('without a web app', () => {
  test('the gateway serves no page: the root path is a 404 problem', async () => {
    await h.restart({ GATEWAY_WEB_DIR: '' });
    assertNotFoundProblem(await h.call('GET', '/', { headers: html }));
    assertNotFoundProblem(await h.call('GET', '/accounts', { headers: html }));
  });

  test('a folder without index.html is refused at start, naming the key', async () => {
    const empty = await mkdtemp(join(tmpdir(), 't50-web-empty-'));
    const app = await createHttpServer({
      name: 'gateway',
      version: '0',
      description: 'web app test',
      logger: createLogger({ service: 'test-web', level: 'error' }),
      readiness: {},
    });
    try {
      await assert.rejects(serveWebApp(app, empty), /GATEWAY_WEB_DIR .* has no index\.html/);
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

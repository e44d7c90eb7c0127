/**
 * The web app, served on the same origin as the API (GATEWAY_WEB_DIR: the
 * built app, e.g. apps/web/dist). Files are served as they are; any other GET
 * that asks for HTML gets index.html, so the app's own routes survive a
 * reload. The API's paths (/v1, /health, /docs, /metrics) never fall back:
 * an unknown one stays a 404 problem document.
 *
 * Every answer carries a strict Content-Security-Policy (scripts, styles,
 * fetches only from this origin; no framing) and is set here, in the route,
 * so it wins over any default a response hook adds. Hashed files under
 * /assets/ are cached for a year; everything else is revalidated (no-cache),
 * so a new build is picked up at the next load.
 */
import { stat } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { HttpServer } from '@t50/kit';

/** The policy of the app's pages and files; the app must not need more. */
export const webContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': webContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** Bundler output under /assets/ has a content hash in its name: it never changes. */
const immutable = 'public, max-age=31536000, immutable';
const revalidate = 'no-cache';

/** Paths that belong to the API and the operational routes: never the app. */
export function isApiPath(pathname: string): boolean {
  return (
    pathname === '/v1' ||
    pathname.startsWith('/v1/') ||
    pathname === '/health' ||
    pathname.startsWith('/health/') ||
    pathname.startsWith('/docs') ||
    pathname === '/metrics'
  );
}

const acceptsHtml = (accept: string | undefined): boolean => accept !== undefined && /\btext\/html\b/i.test(accept);

/** The file under `root` a URL path names, or undefined when it leaves the folder or is not a plain name. */
function fileFor(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const normalized = posix.normalize(`/${decoded}`);
  // Dotfiles (.env, .git) are never served.
  if (normalized.split('/').some((part) => part.startsWith('.'))) return undefined;
  const path = resolve(root, `.${normalized}`);
  return path === root || path.startsWith(`${root}${sep}`) ? path : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built app in `webDir` from the root path. Throws when the folder
 * has no index.html (a wrong GATEWAY_WEB_DIR, or an app that was not built).
 */
export async function serveWebApp(app: HttpServer, webDir: string): Promise<void> {
  const root = resolve(webDir);
  if (!(await isFile(join(root, 'index.html'))))
    throw new Error(`GATEWAY_WEB_DIR ${root} has no index.html; build the web app (npm run -w @t50/web build) first`);
  await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false, dotfiles: 'deny' });

  const send = (reply: FastifyReply, relativePath: string, cacheControl: string) => {
    void reply.headers({ ...securityHeaders, 'cache-control': cacheControl });
    return reply.sendFile(relativePath, root);
  };

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (isApiPath(pathname)) return reply.callNotFound();
    const file = fileFor(root, pathname);
    if (file === root || pathname === '/index.html') return send(reply, 'index.html', revalidate);
    if (file !== undefined && (await isFile(file))) {
      const relativePath = file
        .slice(root.length + 1)
        .split(sep)
        .join('/');
      return send(reply, relativePath, relativePath.startsWith('assets/') ? immutable : revalidate);
    }
    // A route of the app (e.g. /accounts/USD after a reload): the app itself decides what to show.
    if (acceptsHtml(request.headers.accept)) return send(reply, 'index.html', revalidate);
    return reply.callNotFound();
  });
}

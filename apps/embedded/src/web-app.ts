/**
 * The web app in embedded mode: the gateway serves the built app
 * (GATEWAY_WEB_DIR, default apps/web/dist; `npm start` builds it first when
 * it is missing or older than its sources) on its own origin, so the banner
 * can say which URL to open. Without a build the platform runs the API only
 * and says how to build the app.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface WebApp {
  /** The folder to serve; '' when there is none. */
  readonly dir: string;
  /** A banner line when the app is not served. */
  readonly note?: string;
}

export function findWebApp(configured: string): WebApp {
  if (configured === '') return { dir: '' };
  const dir = resolve(configured);
  if (existsSync(join(dir, 'index.html'))) return { dir };
  return {
    dir: '',
    note: `no web app: ${dir} has no index.html (build it with npm run -w @t50/web build); the API alone is served`,
  };
}

// Runs every *.test.ts with Node's test runner (through tsx): first all
// ordinary files in parallel (each uses its own database and vhost), then the
// *.serial.test.ts files one at a time, because they restart shared servers,
// then the browser tests (*.e2e.test.ts: a whole platform and Chromium each)
// one at a time, after building the web app when it is missing or stale.
// Extra arguments are path filters: `npm run test:only -- transactions`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'services', 'apps', 'test', 'bench'];
const skip = new Set(['node_modules', '.data', 'dist']);

function find(directory, found) {
  let names;
  try {
    names = readdirSync(directory);
  } catch {
    return found;
  }
  for (const name of names) {
    if (skip.has(name)) continue;
    const path = join(directory, name);
    if (statSync(path).isDirectory()) find(path, found);
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((root) => find(root, []))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
const isBrowserTest = (file) => file.endsWith('.e2e.test.ts');
const parallel = files.filter((file) => !file.endsWith('.serial.test.ts') && !isBrowserTest(file));
const serial = files.filter((file) => file.endsWith('.serial.test.ts'));
const browser = files.filter(isBrowserTest);

function run(group, concurrency) {
  if (group.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...group],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
/** The browser tests serve apps/web/dist: built first (only when missing or older than its sources). */
function buildWebApp() {
  const result = spawnSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' });
  return result.status ?? 1;
}

const parallelStatus = run(parallel, 3);
const serialStatus = run(serial, 1);
const browserStatus = browser.length === 0 ? 0 : buildWebApp() || run(browser, 1);
process.exit([parallelStatus, serialStatus, browserStatus].find((status) => status !== 0) ?? 0);

// Builds the web app (npm run -w @t50/web build -> apps/web/dist) when dist is
// missing or older than the app's sources; does nothing otherwise. `npm start`
// loads it first (node --import), so the gateway always serves a current app;
// the test runner and the browser-test harness run it as a command.
//
// Prints one line when it builds: "building the web app (N s)". A failed build
// prints the build's last lines; as a command it then exits 1, while before
// `npm start` the platform starts anyway (the API works; the banner says the
// app is missing). EMBEDDED_WEB_BUILD=false skips the check (the harness uses
// it after building once). Two builds never run at once: a lock file under
// node_modules/.cache/transactions50/ makes a second one wait and re-check.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps/web');
const built = join(web, 'dist/index.html');
const lockFile = join(root, 'node_modules/.cache/transactions50/web-build.lock');
const asCommand = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);

const mtimeOf = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

/** The newest modification time among the app's sources (not its tests, build output or packages). */
function newestSource(directory, depth = 0) {
  let newest = -1;
  let names;
  try {
    names = readdirSync(directory, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of names) {
    if (
      depth === 0 &&
      !['src', 'public', 'index.html', 'package.json'].includes(entry.name) &&
      !/^(vite\.config\.|tsconfig)/.test(entry.name)
    )
      continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (depth < 20) newest = Math.max(newest, newestSource(path, depth + 1));
    } else if (!/\.test\.[cm]?[jt]sx?$/.test(entry.name)) {
      newest = Math.max(newest, mtimeOf(path));
    }
  }
  return newest;
}

const webAppIsCurrent = () => {
  const builtAt = mtimeOf(built);
  return builtAt >= 0 && builtAt >= newestSource(web);
};

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/** Takes the build lock, waiting (at most 10 minutes) for another build; false when it timed out. */
function lock() {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  return false;
}

/** Builds when needed; true when dist is current afterwards. */
function buildWebApp() {
  // Read as embedded mode reads its boolean keys (apps/embedded/src/config.ts).
  if (['0', 'false', 'no', 'off'].includes((process.env.EMBEDDED_WEB_BUILD ?? '').trim().toLowerCase())) return true;
  if (mtimeOf(join(web, 'package.json')) < 0) return true; // no web app in this checkout
  if (webAppIsCurrent()) return true;
  if (!lock()) {
    process.stderr.write('another build of the web app did not finish within 10 minutes\n');
    return false;
  }
  try {
    if (webAppIsCurrent()) return true; // another process built it meanwhile
    const startedAt = performance.now();
    process.stdout.write('building the web app');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, ['run', '--silent', '-w', '@t50/web', 'build'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    if (result.status === 0) {
      process.stdout.write(` (${seconds} s)\n`);
      return true;
    }
    process.stdout.write(` failed after ${seconds} s\n`);
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    process.stderr.write(`${output.trim().split('\n').slice(-30).join('\n')}\n`);
    return false;
  } finally {
    rmSync(lockFile, { force: true });
  }
}

const ok = buildWebApp();
if (asCommand) process.exit(ok ? 0 : 1);
else if (!ok) process.stderr.write('the web app did not build; starting without the new build\n');

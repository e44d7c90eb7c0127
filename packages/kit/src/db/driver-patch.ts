/**
 * postgres.js 3.4.9 can crash a process when a connection dies under load (an
 * unguarded `socket.write` in `nextWrite`, and an unhandled rejection when a
 * connection dies while it fetches the server's array types), and `sql.begin`
 * can send BEGIN without reserving the connection (when the socket reports
 * backpressure or the pipeline is full): the transaction's own queries then
 * fail while the server-side transaction stays open on a pooled connection,
 * where unrelated queries run inside it (porsager/postgres#1189). The fix is
 * carried as a reviewable patch, `patches/postgres+3.4.9.patch`, applied by
 * patch-package on every `npm ci` (the root `postinstall`). An install that
 * skipped it (`npm ci --ignore-scripts`) or another driver version would run
 * without the fix, so a service refuses to start on such a driver.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The driver version the patch was written for; `postgres` is pinned to it. */
export const patchedDriverVersion = '3.4.9';
/** Lines the patch adds to each build of the driver's connection.js, one per fix. */
const patchMarkers = ['/* t50: guarded nextWrite */', '/* t50: BEGIN always reserves its connection */'];
/** The ESM build (what `import` loads) and the CommonJS build (what `require` loads). */
const builds = ['src', 'cjs/src'] as const;

/** Why the driver in `packageDir` is not the patched one, or undefined when it is. */
export function driverPatchProblem(packageDir: string): string | undefined {
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  } catch {
    return `postgres.js is not installed at ${packageDir}`;
  }
  if (version !== patchedDriverVersion) {
    return (
      `postgres.js ${String(version)} is installed, but patches/postgres+${patchedDriverVersion}.patch was written for ` +
      `${patchedDriverVersion}; check whether upstream fixed nextWrite, then update or drop the patch`
    );
  }
  for (const build of builds) {
    const file = join(packageDir, build, 'connection.js');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return `postgres.js is incomplete: ${file} is missing`;
    }
    if (!patchMarkers.every((marker) => text.includes(marker))) {
      return `postgres.js ${patchedDriverVersion} is not patched (${build}/connection.js); run npm ci, which applies patches/ with patch-package`;
    }
  }
  return undefined;
}

/** The installed driver's folder, as this package resolves it. */
export function installedDriverDir(): string {
  // require.resolve gives <package>/cjs/src/index.js.
  return dirname(dirname(dirname(createRequire(import.meta.url).resolve('postgres'))));
}

let checked = false;

/** Throws, naming the fix, when the installed driver lacks the patch. Checks the files once per process. */
export function assertPatchedDriver(): void {
  if (checked) return;
  const problem = driverPatchProblem(installedDriverDir());
  if (problem !== undefined) throw new Error(problem);
  checked = true;
}

/**
 * Runs after `npm ci` / `npm install` (the root `postinstall`): fixes a crash
 * in postgres.js 3.4.9 that the chaos harness found (docs/reliability.md,
 * finding 1) until a release carries the fix.
 *
 * The defect (upstream porsager/postgres#1154, #1066, #1208; fix pull requests
 * #1168, #1176, #1209, not released): small writes are buffered and flushed by
 * `nextWrite`, which calls `socket.write` with no guard. When the connection
 * has closed (`closed()` sets `socket = null`), a flush throws
 * `TypeError: Cannot read properties of null (reading 'write')` from a timer or
 * a socket handler, where nothing can catch it, and the process dies. The
 * teardown paths also clear the flush timer without forgetting it, so a
 * reconnected connection can keep a stale buffer and never flush again.
 *
 * The patch, as in #1209 and LanternOps/breeze#3225: `nextWrite` on a closed
 * connection drops the buffer and fails the queries waiting on it with
 * CONNECTION_CLOSED (a catchable error the ledger's writer retries); teardown
 * forgets the timer and the buffer. A second crash of the same kind, found by
 * packages/kit/src/db/termination-storm.ts: each new connection first fetches
 * the server's array types, and when the connection dies during that fetch
 * its rejection reaches no handler (an unhandled rejection, fatal in our
 * services); now it fails the query that waited for the connection. Applied to each build of the driver
 * (ESM, CommonJS, Cloudflare), idempotent, and it refuses to touch a version
 * it was not written for: after an upgrade, check upstream and remove it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const patchedVersion = '3.4.9';
const marker = '/* t50: guarded nextWrite */';

const edits = [
  {
    what: 'nextWrite guards a closed socket',
    from: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    to: `  function nextWrite(fn) {
    ${marker}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
  {
    what: 'terminate forgets the flush timer and buffer',
    from: `    clearImmediate(nextWriteTimer)
    if (socket) {`,
    to: `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    if (socket) {`,
  },
  {
    what: 'closed forgets the flush timer and buffer',
    from: `    incomings = null
    clearImmediate(nextWriteTimer)`,
    to: `    incomings = null
    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null`,
  },
  {
    what: 'a failed array-type fetch fails the waiting query instead of escaping as an unhandled rejection',
    from: `        return fetchArrayTypes()`,
    to: `        return fetchArrayTypes().catch(errored)`,
  },
];

const root = dirname(fileURLToPath(import.meta.url));
const requireFromKit = createRequire(join(root, '..', 'packages', 'kit', 'package.json'));
let entry;
try {
  entry = requireFromKit.resolve('postgres');
} catch {
  console.log('[patch-postgres] postgres is not installed here; nothing to patch');
  process.exit(0);
}
// <package>/cjs/src/index.js
const packageDir = dirname(dirname(dirname(entry)));
const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
if (version !== patchedVersion) {
  console.error(
    `[patch-postgres] postgres ${version} is installed; this patch is for ${patchedVersion}. ` +
      'Check whether upstream fixed nextWrite (porsager/postgres#1209), then update or remove scripts/patch-postgres.mjs.',
  );
  process.exit(1);
}

for (const build of ['src', 'cjs/src', 'cf/src']) {
  const file = join(packageDir, build, 'connection.js');
  const text = await readFile(file, 'utf8');
  let patched = text;
  for (const edit of edits) {
    if (patched.includes(edit.to)) continue; // applied by an earlier install
    const at = patched.indexOf(edit.from);
    if (at === -1 || patched.indexOf(edit.from, at + 1) !== -1) {
      console.error(`[patch-postgres] ${file}: cannot apply "${edit.what}" (the code is not as expected)`);
      process.exit(1);
    }
    patched = patched.replace(edit.from, edit.to);
  }
  if (patched === text) continue;
  await writeFile(file, patched);
  console.log(`[patch-postgres] patched ${join('postgres', build, 'connection.js')}`);
}

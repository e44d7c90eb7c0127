// Run by `npm ci` / `npm install` (the root postinstall): makes embedded mode's
// empty PGlite cluster once, beside the installed packages
// (apps/embedded/src/cli/prepare-database.ts), so the first `npm start` of a
// fresh clone copies it instead of running initdb (several seconds and the
// start's memory peak). It never fails the install: without tsx (an install
// without development dependencies) or on any error it says so in one line and
// npm start makes the cluster itself. T50_PREPARE_EMBEDDED=false skips it
// (service images, which never run embedded mode).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/embedded/src/cli/prepare-database.ts');

if (process.env.T50_PREPARE_EMBEDDED === 'false') {
  console.log('[prepare-embedded] skipped (T50_PREPARE_EMBEDDED=false)');
} else if (!existsSync(join(root, 'node_modules/tsx')) || !existsSync(cli)) {
  console.log('[prepare-embedded] skipped: no tsx or no apps/embedded here; npm start makes the database itself');
} else {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli], {
    cwd: root,
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (result.status !== 0)
    console.log('[prepare-embedded] not prepared; npm start will make the empty database at its first start');
}

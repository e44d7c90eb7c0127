/**
 * A new PGlite database costs an initdb in WebAssembly: most of a first start
 * (measured 10-20 s each, against 1-1.5 s to open an existing one and 0.5 s to
 * copy one; bench/embedded-start.ts). So the empty cluster is made once, kept
 * as a template, and copied into each service's folder that has no database
 * yet: one initdb per machine and PGlite version instead of one per service and
 * data folder. The template is a cleanly closed, empty cluster; every service
 * still runs its own migrations on its copy.
 *
 * It lives in node_modules/.cache (rebuilt by a fresh `npm ci`), or, where that
 * cannot be written (a read-only install), in the data folder itself.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createPgliteDatabase } from '@t50/kit';

/** True when the folder holds a PostgreSQL cluster. */
export const hasDatabase = (directory: string): boolean => existsSync(join(directory, 'PG_VERSION'));

/** PGlite's version: a template is only used by the PGlite that made it. */
function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  let directory = dirname(require.resolve('@electric-sql/pglite'));
  // Bounded: up to the file system's root.
  for (let depth = 0; depth < 20; depth++) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === '@electric-sql/pglite' && parsed.version !== undefined) return parsed.version;
    }
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return 'unknown';
}

const templateName = (): string => `pglite-${pgliteVersion()}-empty`;

/** <repository>/node_modules/.cache/transactions50/<template>, next to the installed PGlite. */
function installTemplateFolder(): string | undefined {
  const require = createRequire(import.meta.url);
  const modules = require.resolve('@electric-sql/pglite').split(/[\\/]node_modules[\\/]/)[0];
  return modules === undefined ? undefined : join(modules, 'node_modules', '.cache', 'transactions50', templateName());
}

/** The folders a template may live in, the preferred first. */
function templateCandidates(dataDir: string): string[] {
  const install = installTemplateFolder();
  return [...(install === undefined ? [] : [install]), join(dataDir, '.cache', templateName())];
}

/**
 * Makes the template beside the installed packages, unless it is there: run by
 * `npm ci` (scripts/prepare-embedded.mjs), so the first `npm start` of a fresh
 * clone copies a cluster instead of running initdb. Returns where it is.
 */
export async function prepareInstallTemplate(): Promise<string> {
  const target = installTemplateFolder();
  if (target === undefined) throw new Error('@electric-sql/pglite is not installed under a node_modules folder');
  if (!hasDatabase(target)) await makeTemplate(target);
  return target;
}

/** Makes the template in `target` (a fresh folder beside it, renamed when complete, so a reader never sees half). */
async function makeTemplate(target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const building = `${target}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = await createPgliteDatabase({ dataDir: building });
    await db.close();
    try {
      await rename(building, target);
    } catch (error) {
      // Another process finished the same template first: use theirs.
      if (!hasDatabase(target)) throw error;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/** Returns a folder holding an empty cluster, making it once if needed; undefined when none can be made. */
async function template(dataDir: string): Promise<string | undefined> {
  const candidates = templateCandidates(dataDir);
  for (const candidate of candidates) if (hasDatabase(candidate)) return candidate;
  for (const candidate of candidates) {
    try {
      await makeTemplate(candidate);
      if (hasDatabase(candidate)) return candidate;
    } catch {
      // Not writable here: try the next place.
    }
  }
  return undefined;
}

/**
 * Gives every folder in `directories` that has no database a copy of the empty
 * cluster. Folders that hold anything else are left to PGlite. Returns the
 * folders it filled.
 */
export async function prepareDatabases(dataDir: string, directories: readonly string[]): Promise<string[]> {
  const empty: string[] = [];
  for (const directory of directories) {
    if (hasDatabase(directory)) continue;
    const entries = await readdir(directory).catch(() => [] as string[]);
    if (entries.length === 0) empty.push(directory);
  }
  if (empty.length === 0) return [];
  const source = await template(dataDir);
  if (source === undefined) return [];
  for (const directory of empty) {
    // Copied beside, then renamed over the empty folder: never half a cluster under the real name.
    const copying = `${directory}.copying-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await cp(source, copying, { recursive: true });
      await rm(directory, { recursive: true, force: true });
      await rename(copying, directory);
    } finally {
      await rm(copying, { recursive: true, force: true });
    }
  }
  return empty;
}

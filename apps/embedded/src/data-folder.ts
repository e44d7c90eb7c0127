/**
 * The data folder's layout, in one place:
 *
 *   <data>/pgdata                the PGlite database: one schema per service
 *   <data>/secrets/<name>        generated keys (mode 0600)
 *   <data>/embedded.log          the services' logs
 *   <data>/embedded.pid          the running process (one owner at a time)
 *
 * `npm run -w @t50/transactions seed -- --data-dir <data>` relies on the first
 * and last lines; the embedded test runs it on a folder made here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const databaseDirectory = (dataDir: string): string => join(dataDir, 'pgdata');

/**
 * Earlier versions kept one PGlite database per service in
 * `<data>/<service>/pgdata`. Such a folder is not converted: when it has no
 * `<data>/pgdata` yet, embedded mode stops with this error instead of starting
 * empty beside the old data.
 */
export class OldDataFolderLayoutError extends Error {
  override readonly name = 'OldDataFolderLayoutError';
}

/** Throws OldDataFolderLayoutError when `dataDir` holds the per-service databases of an earlier version only. */
export function refuseOldLayout(dataDir: string, services: readonly string[]): void {
  if (existsSync(join(databaseDirectory(dataDir), 'PG_VERSION'))) return;
  const old = services.filter((service) => existsSync(join(dataDir, service, 'pgdata', 'PG_VERSION')));
  if (old.length === 0) return;
  throw new OldDataFolderLayoutError(
    `${dataDir} was made by an earlier version (one database per service: ${old
      .map((service) => `${service}/pgdata`)
      .join(
        ', ',
      )}); this version keeps every service in one database (${databaseDirectory(dataDir)}) and does not convert the old ones. ` +
      'Move the folder away or delete it (embedded mode makes its demo users and sample data again), or set EMBEDDED_DATA_DIR to another folder',
  );
}
export const secretPath = (dataDir: string, name: string): string => join(dataDir, 'secrets', name);
export const logPath = (dataDir: string): string => join(dataDir, 'embedded.log');
const pidPath = (dataDir: string): string => join(dataDir, 'embedded.pid');

export class DataFolderBusyError extends Error {
  override readonly name = 'DataFolderBusyError';
}

/**
 * Creates the folder (and its parents) and records this process as its owner;
 * refuses when another live process owns it, because PGlite's files have one
 * writer. Returns the function that releases it.
 */
export async function claimDataFolder(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const file = pidPath(dataDir);
  const previous = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(previous) && previous > 0 && previous !== process.pid && isAlive(previous)) {
    throw new DataFolderBusyError(
      `${dataDir} is in use by process ${previous}; stop it or set EMBEDDED_DATA_DIR to another folder`,
    );
  }
  await writeFile(file, `${process.pid}\n`);
  return () => rm(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** 32 random bytes, base64url: the default generated secret. */
export const randomSecret = (): string => randomBytes(32).toString('base64url');

/**
 * Reads a generated secret, or makes one (`make`, default `randomSecret`) and
 * keeps it for the next start.
 */
export async function readOrCreateSecret(
  dataDir: string,
  name: string,
  make: () => string = randomSecret,
): Promise<{ value: string; path: string; created: boolean }> {
  const path = secretPath(dataDir, name);
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing.length >= 32) return { value: existing, path, created: false };
  const value = make().trim();
  await writeSecret(dataDir, name, value);
  return { value, path, created: true };
}

/** Writes a secret readable by its owner only. */
export async function writeSecret(dataDir: string, name: string, value: string): Promise<string> {
  const path = secretPath(dataDir, name);
  await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  return path;
}

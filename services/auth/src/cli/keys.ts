/**
 * Service API keys from the command line:
 *
 *   npm run -s -w @t50/auth keys -- create <name>   prints the new key once (stdout), nothing else on stdout
 *                                                  (-s: without it npm prints its own banner on stdout too)
 *   npm run -w @t50/auth keys -- create <name> --out FILE
 *                                                  writes the key to FILE (a new file, mode 0600) instead
 *   npm run -w @t50/auth keys -- list            prefix, name, created, state; never a secret
 *   npm run -w @t50/auth keys -- revoke <prefix> the key stops working at once
 *
 * Reads AUTH_DATABASE_URL (or DATABASE_URL) and applies pending migrations first.
 * Exit codes: 0 done, 1 no such key, 2 wrong usage.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createLogger, createPostgresDatabase } from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from '../config';
import { createApiKeyService, InvalidKeyNameError } from '../keys/service';
import { migrateAuthDatabase } from '../service';

const usage = `usage: keys create <name> [--out FILE] | keys list | keys revoke <prefix>
  <name>: 1 to 64 letters, digits, dots, underscores or hyphens
  --out FILE: write the new key to FILE (created, mode 0600; an existing file is never overwritten)
    instead of stdout; or run npm with -s so stdout carries only the key
  <prefix>: the 8 hex characters after "t50_" in a key, as shown by "keys list"`;

async function main(all: readonly string[]): Promise<number> {
  let args = all;
  let outFile: string | undefined;
  const outAt = all.indexOf('--out');
  if (outAt >= 0) {
    outFile = all[outAt + 1];
    if (all[0] !== 'create' || outFile === undefined || outFile === '' || outFile.startsWith('--')) {
      console.error(usage);
      return 2;
    }
    args = [...all.slice(0, outAt), ...all.slice(outAt + 2)];
  }
  const [command, argument, ...rest] = args;
  const arity = command === 'list' ? 0 : 1;
  if (
    command === undefined ||
    !['create', 'list', 'revoke'].includes(command) ||
    (arity === 1 && argument === undefined) ||
    (arity === 0 && argument !== undefined) ||
    rest.length > 0
  ) {
    console.error(usage);
    return 2;
  }
  const config = loadAuthConfig();
  // Logs go to stderr, so stdout carries only the answer (a new key can be piped).
  const logger = createLogger({ service: 'auth-keys', level: 'warn', destination: process.stderr });
  const databaseUrl = databaseUrlOf(config);
  await migrateAuthDatabase(databaseUrl, logger);
  const db = createPostgresDatabase({ url: databaseUrl, applicationName: 'auth-keys', maxConnections: 1 });
  try {
    const keys = createApiKeyService({ db, logger });
    switch (command) {
      case 'create': {
        if (outFile !== undefined) {
          // Refuse before creating a key that could not be handed over.
          if (existsSync(outFile)) {
            console.error(`${outFile} exists; choose a new file (a key is never written over another file).`);
            return 2;
          }
        }
        const created = await keys.create(argument ?? '');
        if (outFile !== undefined) {
          await writeFile(outFile, `${created.plaintext}\n`, { mode: 0o600, flag: 'wx' });
          console.error(`Created API key "${created.name}" (prefix ${created.prefix}); written to ${outFile} (mode 0600).`);
          return 0;
        }
        console.error(`Created API key "${created.name}" (prefix ${created.prefix}). It is shown only this once:`);
        console.log(created.plaintext);
        return 0;
      }
      case 'list': {
        const all = await keys.list();
        if (all.length === 0) {
          console.error('No API keys.');
          return 0;
        }
        console.log(['PREFIX  ', 'CREATED                 ', 'STATE                            ', 'NAME'].join('  '));
        for (const key of all) {
          const state = key.revokedAt === null ? 'active' : `revoked ${key.revokedAt.toISOString()}`;
          console.log([key.prefix, key.createdAt.toISOString(), state.padEnd(33), key.name].join('  '));
        }
        return 0;
      }
      case 'revoke': {
        const prefix = argument ?? '';
        if (!(await keys.revoke(prefix))) {
          console.error(`No active key has prefix ${prefix}.`);
          return 1;
        }
        console.error(`Revoked key ${prefix}.`);
        return 0;
      }
      default:
        console.error(usage);
        return 2;
    }
  } catch (error) {
    if (error instanceof InvalidKeyNameError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    await db.close();
  }
}

process.exitCode = await main(process.argv.slice(2));

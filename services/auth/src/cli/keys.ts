/**
 * Service API keys from the command line:
 *
 *   npm run -w @t50/auth keys -- create <name>   prints the new key once (stdout), nothing else on stdout
 *   npm run -w @t50/auth keys -- list            prefix, name, created, state; never a secret
 *   npm run -w @t50/auth keys -- revoke <prefix> the key stops working at once
 *
 * Reads AUTH_DATABASE_URL (or DATABASE_URL) and applies pending migrations first.
 * Exit codes: 0 done, 1 no such key, 2 wrong usage.
 */
import { createLogger, createPostgresDatabase } from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from '../config';
import { createApiKeyService, InvalidKeyNameError } from '../keys/service';
import { migrateAuthDatabase } from '../service';

const usage = `usage: keys create <name> | keys list | keys revoke <prefix>
  <name>: 1 to 64 letters, digits, dots, underscores or hyphens
  <prefix>: the 8 hex characters after "t50_" in a key, as shown by "keys list"`;

async function main(args: readonly string[]): Promise<number> {
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
        const created = await keys.create(argument ?? '');
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

/** Applies the auth service's pending migrations: `npm run -w @t50/auth migrate`. */
import { createLogger } from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from '../config';
import { migrateAuthDatabase } from '../service';

const config = loadAuthConfig();
const logger = createLogger({ service: 'auth-migrate', level: config.LOG_LEVEL, destination: process.stderr });
const applied = await migrateAuthDatabase(databaseUrlOf(config), logger);
console.log(applied.length === 0 ? 'Nothing to apply.' : `Applied ${applied.join(', ')}.`);

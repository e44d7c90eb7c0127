/** `npm run -w @t50/transactions migrate`: applies the ledger's migrations to TRANSACTIONS_DATABASE_URL. */
import { createLogger, createPostgresDatabase, ensureDatabaseExists, loadConfig, runMigrations } from '@t50/kit';
import { transactionsConfigSpec } from '../config';
import { migrationsDirectory } from '../service';

const { TRANSACTIONS_DATABASE_URL } = loadConfig({ TRANSACTIONS_DATABASE_URL: transactionsConfigSpec.TRANSACTIONS_DATABASE_URL });
await ensureDatabaseExists(TRANSACTIONS_DATABASE_URL);
const db = createPostgresDatabase({ url: TRANSACTIONS_DATABASE_URL, maxConnections: 1 });
try {
  const applied = await runMigrations(db, migrationsDirectory, createLogger({ service: 'migrate', level: 'warn' }));
  console.log(applied.length === 0 ? 'up to date' : `applied: ${applied.join(', ')}`);
} finally {
  await db.close();
}

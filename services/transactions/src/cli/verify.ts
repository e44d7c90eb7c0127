/**
 * `npm run -w @t50/transactions verify`: proves the books of the ledger in
 * TRANSACTIONS_DATABASE_URL. Prints the report; exits 1 on any break, 2 when
 * it could not run.
 */
import { createPostgresDatabase, loadConfig } from '@t50/kit';
import { transactionsConfigSpec } from '../config';
import { formatReport, verifyLedger } from '../verify/verify';

const { TRANSACTIONS_DATABASE_URL } = loadConfig({ TRANSACTIONS_DATABASE_URL: transactionsConfigSpec.TRANSACTIONS_DATABASE_URL });
const db = createPostgresDatabase({ url: TRANSACTIONS_DATABASE_URL, maxConnections: 1 });
try {
  const report = await verifyLedger(db);
  console.log(formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error(`verify could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
} finally {
  await db.close();
}

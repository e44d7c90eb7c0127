/**
 * A child process for postgres.test.ts: transactions on the kit's PostgreSQL
 * driver while another connection terminates their backends every 50 ms.
 * Prints one JSON line (transactions committed, failed by error code,
 * backends terminated) and exits 0; an uncaught exception or unhandled
 * rejection from the driver exits 1 with its stack (Node's default, and what
 * the kit's lifecycle does in a service).
 *
 *   STORM_DATABASE_URL=postgres://... STORM_MS=3000 node --import tsx packages/kit/src/db/termination-storm.ts
 */
import postgres from 'postgres';
import { sleep } from '../transport/common';
import { createPostgresDatabase } from './postgres';

const url = process.env.STORM_DATABASE_URL ?? '';
const durationMs = Math.min(Number(process.env.STORM_MS ?? '3000'), 30_000);
const applicationName = `storm-${process.pid}`;
const db = createPostgresDatabase({ url, maxConnections: 4, applicationName, transactionTimeoutMs: 2_000 });
const admin = postgres(url, { max: 1, onnotice: () => undefined });

const deadline = Date.now() + durationMs;
let committed = 0;
const failed: Record<string, number> = {};
const workers = Array.from({ length: 8 }, async () => {
  // Bounded by the deadline.
  while (Date.now() < deadline) {
    try {
      await db.transaction(async (tx) => {
        await tx.query('select 1');
        await tx.query('select $1::numeric + 1 as n', ['41']);
      });
      committed += 1;
    } catch (error) {
      const raw = (error as { code?: unknown }).code;
      const code = typeof raw === 'string' ? raw : 'other';
      failed[code] = (failed[code] ?? 0) + 1;
    }
  }
});
let terminations = 0;
const terminator = (async () => {
  while (Date.now() < deadline) {
    await sleep(50);
    const rows =
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${applicationName}`.catch(
        () => [],
      );
    terminations += rows.length;
  }
})();
await Promise.all([...workers, terminator]);
process.stdout.write(`${JSON.stringify({ committed, failed, terminations })}\n`);
await admin.end({ timeout: 1 });
const closing = performance.now();
await db.close();
process.stderr.write(`closed in ${Math.round(performance.now() - closing)} ms\n`);
// A connection the driver lost track of may keep a socket open; a service's lifecycle exits the same way.
process.exit(0);

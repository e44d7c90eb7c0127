/**
 * Verify must catch a ledger whose history was changed behind its back, and
 * the database itself must refuse to change history.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { userAccountId } from '@t50/contracts';
import { startTestLedger, type TestLedger } from '../src/testing';
import { verifyLedger } from '../src/verify/verify';
import { deposit, registered, uid } from './helpers';

const run = promisify(execFile);

async function verifyCli(databaseUrl: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/verify.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, TRANSACTIONS_DATABASE_URL: databaseUrl },
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe('verify', () => {
  let ledger: TestLedger;
  const user = uid();
  before(async () => {
    ledger = await startTestLedger('verify');
    await ledger.send(registered(user));
    for (let index = 0; index < 3; index += 1) {
      const paymentId = uid('pi_');
      await ledger.send(deposit(user, '100', paymentId));
      await ledger.events.waitFor((e) => e.type === 'ledger.transfer.posted' && e.data.transfer.transferId === `deposit:stripe:${paymentId}`);
    }
  });
  after(async () => {
    await ledger?.close();
  });

  it('refuses UPDATE and DELETE of entries and transfers', async () => {
    await assert.rejects(ledger.db.query('update entries set amount = 1'), /append-only/);
    await assert.rejects(ledger.db.query('delete from entries'), /append-only/);
    await assert.rejects(ledger.db.query('delete from transfers'), /append-only/);
    await assert.rejects(ledger.db.exec('truncate entries'), /append-only/);
  });

  it('passes on an intact ledger, from the CLI too', async () => {
    assert.equal((await verifyLedger(ledger.db)).ok, true);
    const cli = await verifyCli(ledger.databaseUrl);
    assert.equal(cli.code, 0, cli.output);
    assert.match(cli.output, /ledger verify OK/);
  });

  it('fails, naming what broke, when history was tampered with', async () => {
    // An attacker with table-owner rights disables the guard and edits one entry.
    await ledger.db.exec(`
      alter table entries disable trigger entries_append_only;
      update entries set amount = amount + 1 where seq = (select max(seq) from entries where account_id = '${userAccountId(user, 'USD')}');
      alter table entries enable trigger entries_append_only;`);
    const report = await verifyLedger(ledger.db);
    assert.equal(report.ok, false);
    const broken = report.checks.filter((check) => !check.ok).map((check) => check.name);
    assert.ok(broken.includes('each asset balances (debits = credits)'), broken.join('; '));
    assert.ok(broken.includes('entries match the legs of their transfer'), broken.join('; '));
    const cli = await verifyCli(ledger.databaseUrl);
    assert.equal(cli.code, 1);
    assert.match(cli.output, /ledger verify FAILED/);
    assert.match(cli.output, /BROKEN/);
  });

  it('fails when the guard itself is left disabled', async () => {
    await ledger.db.exec('alter table transfers disable trigger transfers_append_only');
    const report = await verifyLedger(ledger.db);
    const guard = report.checks.find((check) => check.name.startsWith('history is protected'));
    assert.equal(guard?.ok, false);
    assert.match(guard?.problems[0] ?? '', /transfers_append_only/);
  });
});

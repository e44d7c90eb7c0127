import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import postgres from 'postgres';
import { createTestDatabase } from '../testing';
import { driverPatchProblem, installedDriverDir, patchedDriverVersion } from './driver-patch';

describe('the postgres.js patch check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 't50-driver-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the installed driver's files that the check reads. */
  function copyOfInstalled(name: string): string {
    const dir = join(scratch, name);
    for (const file of ['package.json', 'src/connection.js', 'cjs/src/connection.js']) {
      cpSync(join(installedDriverDir(), file), join(dir, file));
    }
    return dir;
  }

  test('the installed driver is the pinned version, patched by npm ci', () => {
    assert.equal(driverPatchProblem(installedDriverDir()), undefined);
  });

  for (const marker of ['/* t50: guarded nextWrite */', '/* t50: BEGIN always reserves its connection */']) {
    test(`a driver without the fix ${marker} (npm ci --ignore-scripts) is refused, naming the fix`, () => {
      const dir = copyOfInstalled(`unpatched-${marker.length}`);
      const file = join(dir, 'cjs/src/connection.js');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(marker, ''));
      assert.match(driverPatchProblem(dir) ?? '', /not patched \(cjs\/src\/connection\.js\); run npm ci/);
    });
  }

  test('another driver version is refused: the patch was written for one version', () => {
    const dir = copyOfInstalled('upgraded');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'postgres', version: '3.4.10' }));
    const problem = driverPatchProblem(dir) ?? '';
    assert.match(problem, /postgres\.js 3\.4\.10 is installed/);
    assert.ok(
      problem.includes(`written for ${patchedDriverVersion}`),
      `the problem names the patched version:\n${problem}`,
    );
  });

  test('a missing driver is named', () => {
    assert.match(driverPatchProblem(join(scratch, 'nothing')) ?? '', /not installed/);
  });
});

describe('the patched driver against PostgreSQL', () => {
  test('sql.begin reserves its connection even when nothing may be pipelined (upstream: UNSAFE_TRANSACTION)', async () => {
    // max_pipeline 0 makes the upstream short-circuit certain: BEGIN was written but never reserved.
    const server = await createTestDatabase('kit_driver_patch');
    const options = { max: 2, max_pipeline: 0, onnotice: () => undefined }; // max_pipeline is not in the typings
    const sql = postgres(server.url, options);
    try {
      const rows = await sql.begin(async (tx) => {
        await tx`create table patched (id int primary key)`;
        await tx`insert into patched values (1)`;
        return tx`select count(*)::int as n, txid_current_if_assigned() is not null as in_transaction from patched`;
      });
      assert.deepEqual([...rows], [{ n: 1, in_transaction: true }], 'the transaction ran on its own connection');
      const open = await sql`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state like 'idle in transaction%'`;
      assert.equal(open[0]?.n, 0, 'no transaction is left open on a pooled connection');
    } finally {
      await sql.end({ timeout: 5 });
      await server.drop();
    }
  });
});

/**
 * Embedded mode keeps every service in one PGlite instance, a schema and a
 * role each (platform.ts, openPgliteCluster). Two services' databases, migrated
 * with their own migrations as the platform does, must not see each other's
 * tables: an unqualified name finds nothing, a qualified one is refused, and
 * each keeps its own record of migrations, even with their statements and
 * transactions interleaved on the one connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authDefinition } from '@t50/auth';
import { gatewayDefinition } from '@t50/gateway';
import { createLogger, openPgliteCluster, runMigrations, type Database, type PgliteCluster } from '@t50/kit';

const logger = createLogger({ service: 'schemas-test', level: 'silent' });

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(db: Database, text: string): Promise<string> {
  try {
    await db.query(text);
    return 'ok';
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

const undefinedTable = '42P01';
const permissionDenied = '42501';

void describe('embedded mode: one database, a schema per service', () => {
  let cluster: PgliteCluster;
  let auth: Database;
  let gateway: Database;

  before(async () => {
    cluster = await openPgliteCluster({});
    auth = await cluster.database(authDefinition.name);
    gateway = await cluster.database(gatewayDefinition.name);
    await runMigrations(auth, authDefinition.migrations, logger);
    await runMigrations(gateway, gatewayDefinition.migrations, logger);
  });
  after(async () => {
    await cluster.close();
  });

  void it("a service finds its own tables and not another's, by plain or qualified name", async () => {
    assert.equal(await outcome(auth, 'select count(*) from credentials'), 'ok');
    assert.equal(await outcome(gateway, 'select count(*) from profiles'), 'ok');

    assert.equal(await outcome(auth, 'select count(*) from profiles'), undefinedTable);
    assert.equal(await outcome(auth, 'select count(*) from outbox'), undefinedTable);
    assert.equal(await outcome(auth, 'select count(*) from gateway.profiles'), permissionDenied);
    assert.equal(await outcome(gateway, 'select count(*) from credentials'), undefinedTable);
    assert.equal(await outcome(gateway, 'select count(*) from auth.credentials'), permissionDenied);
    // Nor can it write there, or make itself a table in the other's schema.
    assert.equal(await outcome(gateway, "delete from auth.credentials where email = 'x'"), permissionDenied);
    assert.equal(await outcome(auth, 'create table gateway.intruder (id int)'), permissionDenied);
  });

  void it('each service records its own migrations', async () => {
    const versions = async (db: Database) =>
      (await db.query<{ version: string }>('select version from schema_migrations order by version')).map(
        (row) => row.version,
      );
    const authVersions = await versions(auth);
    const gatewayVersions = await versions(gateway);
    assert.ok(authVersions.length > 0 && gatewayVersions.length > 0, 'auth and gateway each recorded migrations');
    assert.ok(
      authVersions.every((version) => /_(credentials|api_keys|auth_failure_windows)\.sql$/.test(version)),
      `auth records only its own migrations: ${authVersions.join(', ')}`,
    );
    assert.ok(
      gatewayVersions.includes('20261125120000_profiles.sql'),
      `gateway records its profiles migration: ${gatewayVersions.join(', ')}`,
    );
    assert.equal(
      gatewayVersions.some((version) => authVersions.includes(version)),
      false,
    );
    // A second run finds everything applied in each schema.
    assert.deepEqual(await runMigrations(auth, authDefinition.migrations, logger), []);
    assert.deepEqual(await runMigrations(gateway, gatewayDefinition.migrations, logger), []);
  });

  void it('keeps each service in its schema while their statements and transactions interleave', async () => {
    const work: Promise<string>[] = [];
    for (let round = 0; round < 10; round++) {
      work.push(auth.query<{ schema: string }>('select current_schema() as schema').then((rows) => rows[0]!.schema));
      work.push(
        gateway.transaction(async (tx) => {
          await tx.query('select count(*) from profiles');
          const rows = await tx.query<{ schema: string }>('select current_schema() as schema');
          return rows[0]!.schema;
        }),
      );
      work.push(outcome(auth, 'select count(*) from profiles'));
    }
    const seen = await Promise.all(work);
    for (let round = 0; round < 10; round++) {
      assert.deepEqual(seen.slice(round * 3, round * 3 + 3), ['auth', 'gateway', undefinedTable]);
    }
  });
});

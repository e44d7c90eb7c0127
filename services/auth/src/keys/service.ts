/**
 * Service API keys: created, listed and revoked from the CLI (never over HTTP),
 * checked on every request.
 */
import type { Database, Logger, Queryable } from '@t50/kit';
import { generateKey, hashKey, keyNamePattern, prefixOf, sameDigest } from './format';

export interface ApiKeySummary {
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface CreatedApiKey extends ApiKeySummary {
  /** Shown once; only its hash is stored. */
  readonly plaintext: string;
}

/** The caller a valid key identifies. */
export interface ApiKeyCaller {
  readonly name: string;
  readonly prefix: string;
}

export interface ApiKeyService {
  create(name: string): Promise<CreatedApiKey>;
  /** Every key, newest first, revoked ones included. */
  list(): Promise<ApiKeySummary[]>;
  /** False when no active key has this prefix. */
  revoke(prefix: string): Promise<boolean>;
  /** The caller for a valid, unrevoked key; undefined otherwise. */
  authenticate(plaintext: string): Promise<ApiKeyCaller | undefined>;
}

export class InvalidKeyNameError extends Error {
  override readonly name = 'InvalidKeyNameError';
  constructor() {
    super('a key name is 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit');
  }
}

type KeyRow = {
  readonly name: string;
  readonly prefix: string;
  readonly created_at: Date;
  readonly revoked_at: Date | null;
};

const summaryOf = (row: KeyRow): ApiKeySummary => ({
  name: row.name,
  prefix: row.prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** A digest no key has, compared against when the prefix is unknown, so that case costs the same. */
const absentDigest = hashKey('t50_00000000_absent');

/** A 32-bit prefix can collide; a few fresh draws make that vanishingly rare. */
const maxPrefixDraws = 5;

async function insertKey(db: Queryable, name: string): Promise<CreatedApiKey> {
  if (!keyNamePattern.test(name)) throw new InvalidKeyNameError();
  for (let draw = 1; draw <= maxPrefixDraws; draw++) {
    const key = generateKey();
    const [row] = await db.query<KeyRow>(
      `insert into api_keys (name, prefix, key_sha256) values ($1, $2, $3)
       on conflict (prefix) do nothing
       returning name, prefix, created_at, revoked_at`,
      [name, key.prefix, key.sha256],
    );
    if (row !== undefined) return { ...summaryOf(row), plaintext: key.plaintext };
  }
  throw new Error(`no free key prefix after ${maxPrefixDraws} draws`);
}

export function createApiKeyService(deps: { db: Database; logger: Logger }): ApiKeyService {
  const { db, logger } = deps;
  return {
    async create(name) {
      const created = await insertKey(db, name);
      logger.info({ keyName: created.name, keyPrefix: created.prefix }, 'api key created');
      return created;
    },

    async list() {
      const rows = await db.query<KeyRow>(
        'select name, prefix, created_at, revoked_at from api_keys order by created_at desc, prefix',
      );
      return rows.map(summaryOf);
    },

    async revoke(prefix) {
      const rows = await db.query<{ name: string }>(
        'update api_keys set revoked_at = now() where prefix = $1 and revoked_at is null returning name',
        [prefix],
      );
      const revoked = rows[0];
      if (revoked !== undefined) logger.info({ keyName: revoked.name, keyPrefix: prefix }, 'api key revoked');
      return revoked !== undefined;
    },

    async authenticate(plaintext) {
      const prefix = prefixOf(plaintext);
      if (prefix === undefined) return undefined;
      const [row] = await db.query<{ name: string; key_sha256: Buffer | Uint8Array }>(
        'select name, key_sha256 from api_keys where prefix = $1 and revoked_at is null',
        [prefix],
      );
      const presented = hashKey(plaintext);
      const stored = row === undefined ? absentDigest : Buffer.from(row.key_sha256);
      const matches = sameDigest(presented, stored);
      return row !== undefined && matches ? { name: row.name, prefix } : undefined;
    },
  };
}

export const embeddedGatewayKeyName = 'gateway-embedded';

/**
 * Embedded mode only: the gateway's key, made anew at every start (only hashes
 * are stored, so an old plaintext cannot be recovered). Earlier keys of that
 * name are deleted in the same transaction. Needs the migrated schema, so call
 * it after `createAuthService`.
 */
export async function ensureEmbeddedGatewayKey(db: Database): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query('delete from api_keys where name = $1', [embeddedGatewayKeyName]);
    return (await insertKey(tx, embeddedGatewayKeyName)).plaintext;
  });
}

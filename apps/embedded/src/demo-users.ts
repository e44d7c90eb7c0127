/**
 * Demo users for trying the web app in embedded mode (when EMBEDDED_SEED is
 * on): alice@example.com and bob@example.com, tier Full (KYC levels 1 and 2
 * approved) with money in their ledger accounts, and operator@example.com,
 * who may review KYC submissions.
 *
 * They are made through the gateway's own use cases (registration, KYC, the
 * operator role) and funded through the same messages the payment and wallet
 * services send, so what the app shows is real. Their passwords are made once
 * (random) and kept in <data>/secrets/demo-users.json (owner-only), a JSON
 * array of { email, password, role }. Every step is idempotent: a restart
 * finds the users, their tier and their deposits (fixed message ids) and
 * changes nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exchanges, type DomainEvent } from '@t50/contracts';
import {
  createTransactionsClient,
  findProfileByEmail,
  setRoleByEmail,
  type GatewayService,
  type TransactionsClient,
} from '@t50/gateway';
import type { Database, Logger, Transport } from '@t50/kit';
import { secretPath, writeSecret } from './data-folder';

export const demoUsersSecret = 'demo-users.json';

export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly role: 'user' | 'operator';
}

interface Person {
  readonly email: string;
  readonly role: DemoUser['role'];
  /** Full: KYC levels 1 and 2 approved. */
  readonly full: boolean;
  readonly firstName: string;
  readonly lastName: string;
}

const people: readonly Person[] = [
  { email: 'alice@example.com', role: 'user', full: true, firstName: 'Alice', lastName: 'Example' },
  { email: 'bob@example.com', role: 'user', full: true, firstName: 'Bob', lastName: 'Example' },
  { email: 'operator@example.com', role: 'operator', full: false, firstName: 'Olivia', lastName: 'Operator' },
];

/** Bump when the funding changes, so changed messages get fresh ids instead of being taken for repeats. */
const fundingVersion = 'v1';

/** 20 random characters (120 bits), URL-safe. */
const newPassword = (): string => randomBytes(15).toString('base64url');

/** A minimal PDF (the KYC upload checks the content's magic bytes). */
const sampleDocument = Buffer.from('%PDF-1.4\n% demo identity document\n%%EOF\n');

export type DemoUsersOutcome =
  | { readonly ok: true; readonly users: readonly DemoUser[]; readonly path: string }
  | { readonly ok: false; readonly problem: string };

export interface DemoUsersDeps {
  readonly dataDir: string;
  readonly gateway: Pick<GatewayService, 'accounts' | 'kyc' | 'users'>;
  /** The gateway's own database. */
  readonly db: Database;
  /** The gateway's connection to the broker: the deposits go to the ledger as the payment services send them. */
  readonly transport: Transport;
  /** The ledger's URL and API key (its HTTP API tells when the accounts and the money are there). */
  readonly ledger: { readonly url: string; readonly key: string };
  readonly logger: Logger;
  /** How long to wait for the ledger to open accounts and post deposits. Default 20 s. */
  readonly timeoutMs?: number;
}

function parseDemoUsers(text: string): DemoUser[] | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return undefined;
    const users = value.filter(
      (entry): entry is DemoUser =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as DemoUser).email === 'string' &&
        typeof (entry as DemoUser).password === 'string' &&
        (entry as DemoUser).password.length >= 12 &&
        ((entry as DemoUser).role === 'user' || (entry as DemoUser).role === 'operator'),
    );
    return users.length === value.length ? users : undefined;
  } catch {
    return undefined;
  }
}

/** The demo users' emails, passwords and roles as stored, or undefined when the file is missing or damaged. */
export async function readDemoUsers(dataDir: string): Promise<DemoUser[] | undefined> {
  const text = await readFile(secretPath(dataDir, demoUsersSecret), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseDemoUsers(text);
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round += 1) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo users: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** Math.min(round, 4), 250)));
  }
}

function unwrap<T>(
  what: string,
  result: { ok: true; value: T } | { ok: false; failure: { error: string; detail?: string } },
): T {
  if (result.ok) return result.value;
  throw new Error(
    `demo users: ${what} refused (${result.failure.error}${result.failure.detail === undefined ? '' : `: ${result.failure.detail}`})`,
  );
}

/** A message to the ledger and the id of the transfer it makes. */
export interface DemoPosting {
  readonly message: DomainEvent;
  readonly transferId: string;
}

/**
 * Deposits in every asset for alice and bob, then one send from alice to bob
 * (applied after the deposits, so her money is there). Ids are fixed per
 * user, so a restart adds nothing.
 */
export function demoFunding(aliceId: string, bobId: string): { deposits: DemoPosting[]; send: DemoPosting } {
  const id = (name: string, userId: string) => `demo:${fundingVersion}:${name}:${userId}`;
  const fiat = (userId: string, asset: 'USD' | 'EUR', amount: string): DemoPosting => {
    const paymentId = id(`pay:${asset.toLowerCase()}`, userId);
    return {
      message: {
        id: id(`deposit:${asset.toLowerCase()}`, userId),
        type: 'payments.deposit.succeeded',
        version: 1,
        data: { paymentId, provider: 'sandbox', userId, asset, amount },
      },
      transferId: `deposit:sandbox:${paymentId}`,
    };
  };
  const ether = (userId: string, amount: string): DemoPosting => {
    // A transaction hash that looks real and is the same at every start.
    const txHash = `0x${createHash('sha256').update(id('chain-deposit', userId)).digest('hex')}`;
    return {
      message: {
        id: id('deposit:eth', userId),
        type: 'wallet.deposit.confirmed',
        version: 1,
        data: { txHash, logIndex: 0, userId, amount },
      },
      transferId: `chain-deposit:${txHash}:0`,
    };
  };
  const sendId = id('send:usd', aliceId);
  return {
    deposits: [
      fiat(aliceId, 'USD', '250000'), // 2,500.00 USD
      fiat(aliceId, 'EUR', '120000'), // 1,200.00 EUR
      ether(aliceId, '2000000000000000000'), // 2 ETH in wei
      fiat(bobId, 'USD', '80000'), // 800.00 USD
      fiat(bobId, 'EUR', '45000'), // 450.00 EUR
      ether(bobId, '500000000000000000'), // 0.5 ETH
    ],
    send: {
      message: {
        id: sendId,
        type: 'gateway.send.requested',
        version: 1,
        data: { sendId, fromUserId: aliceId, toUserId: bobId, asset: 'USD', amount: '4200' }, // 42.00 USD
      },
      transferId: `send:${sendId}`,
    },
  };
}

/**
 * Makes sure the demo users exist as described above. Returns their emails,
 * passwords and roles, or why they could not be made (the platform still
 * starts; the banner says so).
 */
export async function ensureDemoUsers(deps: DemoUsersDeps): Promise<DemoUsersOutcome> {
  const { dataDir, gateway, db, logger } = deps;
  const ledger: Pick<TransactionsClient, 'accountsOf' | 'transfer'> = createTransactionsClient({
    baseUrl: deps.ledger.url,
    apiKey: deps.ledger.key,
  });
  const timeoutMs = deps.timeoutMs ?? 20_000;
  const path = secretPath(dataDir, demoUsersSecret);

  let users = await readDemoUsers(dataDir);
  if (users === undefined || !people.every((person) => users!.some((user) => user.email === person.email))) {
    // Passwords cannot be read back from the users: with the file gone, users made before are unusable here.
    const existing = await Promise.all(people.map((person) => findProfileByEmail(db, person.email)));
    if (existing.some((profile) => profile !== undefined))
      return {
        ok: false,
        problem: `demo users exist but ${path} is missing or damaged; delete the data folder to start over`,
      };
    users = people.map((person) => ({ email: person.email, password: newPassword(), role: person.role }));
    // Written before the users are made, so a crash in between never leaves users nobody knows the password of.
    await writeSecret(dataDir, demoUsersSecret, JSON.stringify(users, null, 2));
  }
  const known = users;
  const passwordOf = (email: string) => known.find((user) => user.email === email)?.password ?? '';

  const ids = await Promise.all(
    people.map(async (person) => {
      const profile = await findProfileByEmail(db, person.email);
      if (profile !== undefined) return profile.userId;
      const registered = unwrap(
        `registering ${person.email}`,
        await gateway.accounts.register(person.email, passwordOf(person.email)),
      );
      logger.info({ userId: registered.user.userId }, 'demo user registered');
      return registered.user.userId;
    }),
  );

  await Promise.all(
    people.map(async (person, index) => {
      const userId = ids[index]!;
      if (person.role === 'operator') await setRoleByEmail({ db, users: gateway.users }, person.email, 'operator');
      if (person.full) await makeFull(gateway.kyc, userId, person);
    }),
  );

  // The ledger opens a user's accounts when it sees the registration (through the gateway's outbox).
  const [aliceId, bobId] = [ids[0]!, ids[1]!];
  const accountsOf = async (userId: string) => {
    const accounts = await ledger.accountsOf(userId);
    return accounts.length >= 3 ? accounts : undefined;
  };
  await until('the ledger did not open the accounts', timeoutMs, async () =>
    (await accountsOf(aliceId)) !== undefined && (await accountsOf(bobId)) !== undefined ? true : undefined,
  );
  const funding = demoFunding(aliceId, bobId);
  for (const stage of [funding.deposits, [funding.send]]) {
    await deps.transport.publishMany(
      stage.map(({ message }) => ({
        exchange: exchanges.events,
        routingKey: message.type,
        type: message.type,
        messageId: message.id,
        body: message,
      })),
    );
    await until('the ledger did not post the demo money', timeoutMs, async () => {
      const found = await Promise.all(stage.map(({ transferId }) => ledger.transfer(transferId)));
      return found.every((transfer) => transfer !== undefined) ? true : undefined;
    });
  }
  return { ok: true, users: known, path };
}

async function makeFull(kyc: GatewayService['kyc'], userId: string, person: Person): Promise<void> {
  const current = await kyc.ownKyc(userId);
  if (current.level2.some((submission) => submission.status === 'approved')) return;
  if (current.level1 === null) {
    unwrap(
      `KYC level 1 of ${person.email}`,
      await kyc.submitLevel1(userId, {
        firstName: person.firstName,
        lastName: person.lastName,
        dateOfBirth: '1990-04-12',
        address: { line1: '1 Demo Street', city: 'London', postalCode: 'EC1A 1BB', country: 'GB' },
        phone: '+442071234567',
      }),
    );
  }
  let pending = current.level2.find((submission) => submission.status === 'pending');
  if (pending === undefined) {
    const document = unwrap(`KYC document of ${person.email}`, await kyc.uploadDocument(userId, sampleDocument));
    const submitted = unwrap(
      `KYC level 2 of ${person.email}`,
      await kyc.submitLevel2(userId, {
        documentType: 'passport',
        documentNumber: `DEMO${userId.replaceAll('-', '').slice(0, 8).toUpperCase()}`,
        issuingCountry: 'GB',
        expiryDate: '2035-12-31',
        documentId: document.documentId,
      }),
    );
    if (submitted.status === 'approved') return;
    pending = submitted;
  }
  // Approved as the sandbox reviewer would, whether or not it reviews everyone else's submissions.
  unwrap(`approving KYC level 2 of ${person.email}`, await kyc.approve(undefined, pending.submissionId));
}

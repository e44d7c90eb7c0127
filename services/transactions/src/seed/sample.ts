/**
 * Sample data for a newcomer: three users with balances in USD, EUR and ETH,
 * reached through the same messages the other services send (registration,
 * deposits, a trade, a send, payouts), so the books they show are real.
 *
 * Every message id and every transfer id is fixed (derived from the sample's
 * name), so a second run is recognised by the ledger's inbox and changes
 * nothing: seeding is idempotent.
 */
import { createHash } from 'node:crypto';
import type { DomainEvent, LedgerCommand } from '@t50/contracts';
import type { ItemResult } from '../ledger/engine';
import type { LedgerWriter } from '../ledger/writer';
import { parseValue } from '../messages/parse';

/** Bump when the sample changes, so a changed sample gets fresh ids rather than conflicts. */
const sampleVersion = 'v1';

export const seedUserIds = ['seed-alice', 'seed-bob', 'seed-carol'] as const;

const messageId = (name: string) => `seed:${sampleVersion}:${name}`;

/** A chain transaction hash that looks real and is the same on every run. */
const fakeTxHash = (name: string) => `0x${createHash('sha256').update(`seed:${sampleVersion}:${name}`).digest('hex')}`;

const event = <T extends DomainEvent['type']>(
  name: string,
  type: T,
  data: Extract<DomainEvent, { type: T }>['data'],
): DomainEvent => ({ id: messageId(name), type, version: 1, data }) as DomainEvent;

const [alice, bob, carol] = seedUserIds;

/** The sample, in the order it is applied. Amounts are minor units (cents, wei). */
export function sampleMessages(): (DomainEvent | LedgerCommand)[] {
  return [
    ...seedUserIds.map((userId) => event(`register:${userId}`, 'gateway.user.registered', { userId })),
    event('deposit:alice:usd', 'payments.deposit.succeeded', {
      paymentId: 'seed-pay-alice-usd-1',
      provider: 'sandbox',
      userId: alice,
      asset: 'USD',
      amount: '100000', // 1,000.00 USD
    }),
    event('deposit:bob:eur', 'payments.deposit.succeeded', {
      paymentId: 'seed-pay-bob-eur-1',
      provider: 'stripe',
      userId: bob,
      asset: 'EUR',
      amount: '25000', // 250.00 EUR
    }),
    event('deposit:carol:usd', 'payments.deposit.succeeded', {
      paymentId: 'seed-pay-carol-usd-1',
      provider: 'paypal',
      userId: carol,
      asset: 'USD',
      amount: '50000', // 500.00 USD
    }),
    event('chain-deposit:alice', 'wallet.deposit.confirmed', {
      txHash: fakeTxHash('chain-deposit:alice'),
      logIndex: 0,
      userId: alice,
      amount: '2000000000000000000', // 2 ETH in wei
    }),
    event('trade:carol:buy', 'gateway.trade.executed', {
      quoteId: 'seed-quote-carol-1',
      userId: carol,
      side: 'buy',
      fiatAsset: 'USD',
      fiatAmount: '30000', // 300.00 USD
      ethAmount: '100000000000000000', // 0.1 ETH
      feeAmount: '150', // 1.50 USD
    }),
    event('send:alice:bob', 'gateway.send.requested', {
      sendId: 'seed-send-alice-bob-1',
      fromUserId: alice,
      toUserId: bob,
      asset: 'USD',
      amount: '2500', // 25.00 USD
    }),
    event('payout:bob:requested', 'payments.payout.requested', {
      payoutId: 'seed-payout-bob-1',
      provider: 'stripe',
      userId: bob,
      asset: 'EUR',
      amount: '5000', // 50.00 EUR
    }),
    event('payout:bob:completed', 'payments.payout.completed', { payoutId: 'seed-payout-bob-1' }),
    // Left pending: alice's available USD is below her balance until the hold
    // is posted, voided, or expires (after a week).
    event('payout:alice:requested', 'payments.payout.requested', {
      payoutId: 'seed-payout-alice-1',
      provider: 'sandbox',
      userId: alice,
      asset: 'USD',
      amount: '10000', // 100.00 USD
    }),
  ];
}

export interface SeedReport {
  /** Messages that changed the ledger on this run. */
  readonly applied: number;
  /** Messages the ledger had already recorded (a second run: all of them). */
  readonly alreadyRecorded: number;
  /** Refusals, with their codes: a healthy seed has none. */
  readonly rejected: readonly string[];
}

/** Submits the sample to a ledger writer and says what happened. */
export async function seedLedger(writer: Pick<LedgerWriter, 'submit'>): Promise<SeedReport> {
  const items = sampleMessages().map((message) => {
    const parsed = parseValue(message, {});
    // The sample is written against the contracts; a failure here is a bug in this file.
    if (!parsed.ok) throw new Error(`seed message ${message.id} is invalid: ${parsed.reason}`);
    return parsed.item;
  });
  const results = await writer.submit(items);
  return summarise(
    results,
    items.map((item) => item.messageId),
  );
}

function summarise(results: readonly ItemResult[], ids: readonly string[]): SeedReport {
  let applied = 0;
  let alreadyRecorded = 0;
  const rejected: string[] = [];
  results.forEach((result, index) => {
    switch (result.status) {
      case 'applied':
        if (result.duplicate) alreadyRecorded += 1;
        else applied += 1;
        break;
      case 'redelivered':
        if (result.stored.status === 'rejected')
          rejected.push(`${ids[index] ?? '?'}: ${result.stored.code} (${result.stored.detail})`);
        else alreadyRecorded += 1;
        break;
      case 'rejected':
        rejected.push(`${ids[index] ?? '?'}: ${result.code} (${result.detail})`);
        break;
      case 'ignored':
        alreadyRecorded += 1;
        break;
    }
  });
  return { applied, alreadyRecorded, rejected };
}

/**
 * What each benchmark scenario publishes: the domain events other services
 * send, with ids unique per phase (`<phase>.…`), so the harness can tell which
 * event answers which message.
 */
import type { DomainEvent } from '@t50/contracts';

export type Envelope = DomainEvent;

export interface Workload {
  /** Registrations and funding, published and awaited before measuring. */
  readonly setup: Envelope[];
  /** The next message of the measured load, its id prefixed by `phase.`. */
  next(phase: string): Envelope;
}

let sequence = 0;
const nextId = (phase: string, kind: string) => `${phase}.${kind}-${(sequence += 1)}`;
const randomInt = (max: number) => Math.floor(Math.random() * max);
const funding = '1000000000000'; // 10 billion USD in cents: no send can run out.

function users(count: number, prefix: string) {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}${index}`);
  const setup: Envelope[] = [];
  for (const userId of ids)
    setup.push({ id: `reg-${userId}`, type: 'gateway.user.registered', version: 1, data: { userId } });
  return { ids, setup };
}

const fund = (userId: string): Envelope => ({
  id: `fund-${userId}`,
  type: 'payments.deposit.succeeded',
  version: 1,
  data: { paymentId: `fund-${userId}`, provider: 'sandbox', userId, asset: 'USD', amount: funding },
});

const deposit = (phase: string, userId: string): Envelope => {
  const id = nextId(phase, 'dep');
  return {
    id,
    type: 'payments.deposit.succeeded',
    version: 1,
    data: {
      paymentId: id.replace('.', '-'),
      provider: 'stripe',
      userId,
      asset: 'USD',
      amount: String(1 + randomInt(100_000)),
    },
  };
};

const send = (phase: string, ids: readonly string[]): Envelope => {
  const from = randomInt(ids.length);
  const to = (from + 1 + randomInt(ids.length - 1)) % ids.length;
  const id = nextId(phase, 'send');
  return {
    id,
    type: 'gateway.send.requested',
    version: 1,
    data: {
      sendId: id.replace('.', '-'),
      fromUserId: ids[from]!,
      toUserId: ids[to]!,
      asset: 'USD',
      amount: String(1 + randomInt(1000)),
    },
  };
};

export const workloads: Record<string, (userCount: number) => Workload> = {
  /** Sends between random users: no account is hot. */
  uniform(userCount) {
    const { ids, setup } = users(userCount, 'uni');
    return { setup: [...setup, ...ids.map(fund)], next: (phase) => send(phase, ids) };
  },
  /** Card deposits: every transfer touches the Stripe clearing account. */
  hot(userCount) {
    const { ids, setup } = users(userCount, 'hot');
    return { setup, next: (phase) => deposit(phase, ids[randomInt(ids.length)]!) };
  },
  /**
   * Per 100 messages: 40 deposits, 20 sends, 10 trades, 15 payout holds, 12
   * payouts completed (posts), 3 payouts failed (voids).
   */
  mixed(userCount) {
    const { ids, setup } = users(userCount, 'mix');
    const openPayouts: { payoutId: string }[] = [];
    let step = 0;
    return {
      setup: [...setup, ...ids.map(fund)],
      next(phase) {
        step = (step + 1) % 100;
        const user = ids[randomInt(ids.length)]!;
        if (step < 40) return deposit(phase, user);
        if (step < 60) return send(phase, ids);
        if (step < 70) {
          const id = nextId(phase, 'trade');
          return {
            id,
            type: 'gateway.trade.executed',
            version: 1,
            data: {
              quoteId: id.replace('.', '-'),
              userId: user,
              side: 'buy',
              fiatAsset: 'USD',
              fiatAmount: String(1000 + randomInt(10_000)),
              ethAmount: String(10n ** 15n * BigInt(1 + randomInt(100))),
              feeAmount: '25',
            },
          };
        }
        if (step < 85 || openPayouts.length === 0) {
          const id = nextId(phase, 'payout');
          const payoutId = id.replace('.', '-');
          openPayouts.push({ payoutId });
          return {
            id,
            type: 'payments.payout.requested',
            version: 1,
            data: { payoutId, provider: 'stripe', userId: user, asset: 'USD', amount: String(100 + randomInt(5000)) },
          };
        }
        const { payoutId } = openPayouts.shift()!;
        if (step < 97)
          return { id: nextId(phase, 'paid'), type: 'payments.payout.completed', version: 1, data: { payoutId } };
        return {
          id: nextId(phase, 'failed'),
          type: 'payments.payout.failed',
          version: 1,
          data: { payoutId, reason: 'bank refused' },
        };
      },
    };
  },
};

/** Message builders for the ledger tests: what other services publish. */
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { exchanges, type DomainEvent, type LedgerCommand } from '@t50/contracts';
import type { OutgoingMessage } from '@t50/kit';
import {
  createTestDatabase,
  createTestVhost,
  startFakeConsul,
  type FakeConsul,
  type TestDatabase,
  type TestVhost,
} from '@t50/kit/testing';

export const uid = (prefix = 'u') => `${prefix}${randomUUID().slice(0, 8)}`;

export const registered = (userId: string): DomainEvent => ({
  id: `reg-${userId}`,
  type: 'gateway.user.registered',
  version: 1,
  data: { userId },
});

export const deposit = (userId: string, amount: string, paymentId = uid('pi_'), asset = 'USD'): DomainEvent => ({
  id: `msg-${paymentId}`,
  type: 'payments.deposit.succeeded',
  version: 1,
  data: { paymentId, provider: 'stripe', userId, asset, amount },
});

export const transfer = (
  transferId: string,
  legs: { debitAccountId: string; creditAccountId: string; asset: string; amount: string }[],
  extra: { pending?: { timeoutSeconds: number }; metadata?: Record<string, string>; id?: string; code?: 'send' | 'deposit' | 'withdrawal' | 'trade' } = {},
): LedgerCommand => ({
  id: extra.id ?? `msg-${transferId}`,
  type: 'ledger.transfer.create',
  version: 1,
  data: {
    transferId,
    code: extra.code ?? 'send',
    legs,
    ...(extra.metadata === undefined ? {} : { metadata: extra.metadata }),
    ...(extra.pending === undefined ? {} : { pending: extra.pending }),
  },
});

export const post = (pendingId: string, amount?: string, transferId = `${pendingId}:post`): LedgerCommand => ({
  id: `msg-${transferId}`,
  type: 'ledger.transfer.post',
  version: 1,
  data: { transferId, pendingId, ...(amount === undefined ? {} : { amount }) },
});

export const voidHold = (pendingId: string, transferId = `${pendingId}:void`): LedgerCommand => ({
  id: `msg-${transferId}`,
  type: 'ledger.transfer.void',
  version: 1,
  data: { transferId, pendingId },
});

export interface StandaloneServers {
  readonly database: TestDatabase;
  readonly vhost: TestVhost;
  readonly consul: FakeConsul;
}

/**
 * For a test of main.ts in its own process: a database, a RabbitMQ vhost and a
 * fake Consul agent, made before the file's tests and dropped after them.
 */
export function useStandaloneServers(name: string): StandaloneServers {
  const servers: { database?: TestDatabase; vhost?: TestVhost; consul?: FakeConsul } = {};
  before(async () => {
    [servers.database, servers.vhost, servers.consul] = await Promise.all([
      createTestDatabase(name.replaceAll('-', '_')),
      createTestVhost(name),
      startFakeConsul(),
    ]);
  });
  after(async () => {
    await servers.consul?.close();
    await servers.vhost?.drop();
    await servers.database?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the standalone servers are made in before()');
    return value;
  };
  return {
    get database() {
      return ready(servers.database);
    },
    get vhost() {
      return ready(servers.vhost);
    },
    get consul() {
      return ready(servers.consul);
    },
  };
}

/** A domain event as its producer publishes it: on t50.events, routing key = its type. */
export const asMessage = (event: DomainEvent): OutgoingMessage => ({
  exchange: exchanges.events,
  routingKey: event.type,
  body: event,
  messageId: event.id,
  type: event.type,
});

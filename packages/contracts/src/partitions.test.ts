import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accountPartition,
  fnv1a32,
  partitionOf,
  partitionRoutingKey,
  partitionedSystemAccountId,
  transitAccountId,
} from './partitions';

describe('ledger partitions', () => {
  it('hashes with 32-bit FNV-1a (the published test vectors)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('pins where users live: changing the function would move accounts between writers', () => {
    const users = ['alice', 'bob', 'carol', 'u-0001', '7f3c1b9e-0d2a-4c61-9a57-1f0e2b3c4d5e'];
    assert.deepEqual(
      users.map((user) => partitionOf(user, 16)),
      [7, 4, 2, 4, 10],
    );
    assert.deepEqual(
      users.map((user) => partitionOf(user, 4)),
      [3, 0, 2, 0, 2],
    );
    assert.deepEqual(
      users.map((user) => partitionOf(user, 1)),
      [0, 0, 0, 0, 0],
    );
  });

  it('places every account by its id alone', () => {
    assert.equal(accountPartition('user:alice:USD', 8), partitionOf('alice', 8));
    assert.equal(accountPartition('user:a:b:ETH', 8), partitionOf('a:b', 8), 'a user id may contain colons');
    assert.equal(accountPartition('system:stripe_clearing:USD', 8), 0);
    assert.equal(accountPartition('system:stripe_clearing:USD:p5', 8), 5);
    assert.equal(accountPartition('user:alice:USD', 1), 0);
    assert.equal(accountPartition(transitAccountId('ETH', 3), 4), 3);
  });

  it('names per-partition platform accounts and routing keys', () => {
    assert.equal(partitionedSystemAccountId('treasury', 'EUR', 0), 'system:treasury:EUR');
    assert.equal(partitionedSystemAccountId('treasury', 'EUR', 2), 'system:treasury:EUR:p2');
    assert.equal(transitAccountId('USD', 1), 'system:partition_transit:USD:p1');
    assert.equal(partitionRoutingKey('payments.deposit.succeeded', 3, 4), 'payments.deposit.succeeded.p3');
    assert.equal(partitionRoutingKey('payments.deposit.succeeded', 0, 1), 'payments.deposit.succeeded');
  });
});

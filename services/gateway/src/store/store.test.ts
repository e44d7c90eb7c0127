/**
 * One contract suite for both HotStore implementations: Redis (the real server
 * on this machine, under a key prefix of its own, cleaned up) and the
 * in-memory one embedded mode uses.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually } from '@t50/kit/testing';
import { createRedisStore, type HotStore } from './hot-store';
import { createMemoryHotStore } from './memory-store';

const redis = new Redis('redis://127.0.0.1:6379');
const prefix = `t50test:gateway:store:${randomBytes(4).toString('hex')}:`;
after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function contract(name: string, make: () => HotStore) {
  describe(`${name} HotStore`, () => {
    test('set, get, exists and delete', async () => {
      const store = make();
      assert.equal(await store.get('a'), undefined);
      await store.set('a', 'one', 60);
      assert.equal(await store.get('a'), 'one');
      assert.equal(await store.existsAny(['nope', 'a']), true);
      assert.equal(await store.existsAny(['nope']), false);
      assert.equal(await store.existsAny([]), false);
      await store.delete(['a', 'nope']);
      assert.equal(await store.get('a'), undefined);
      assert.equal(await store.ping(), true);
    });

    test('values expire after their TTL', async () => {
      const store = make();
      await store.set('short', 'x', 1);
      await store.set('long', 'x', 60);
      assert.equal(await store.get('short'), 'x');
      // Redis keeps its own clock: wait until the 1-second TTL has run out, not for a fixed time.
      await eventually(async () => ((await store.get('short')) === undefined ? true : undefined), {
        timeoutMs: 5_000,
        what: 'the 1-second value expired',
      });
      assert.equal(await store.existsAny(['short']), false);
      assert.equal(await store.get('long'), 'x', 'a value with a longer TTL is still there');
    });

    test('a window counts hits and resets after it ends', async () => {
      const store = make();
      assert.deepEqual(await store.hit('w', 1), { count: 1, resetSeconds: 1 });
      const second = await store.hit('w', 1);
      assert.equal(second.count, 2);
      assert.ok(
        second.resetSeconds >= 1 && second.resetSeconds <= 1,
        `a 1 s window resets in 1 s, not ${second.resetSeconds}`,
      );
      // Every hit counts, so the hits made while waiting count too: the first hit of the next window is 1.
      await eventually(async () => ((await store.hit('w', 1)).count === 1 ? true : undefined), {
        timeoutMs: 5_000,
        what: 'a new 1-second window',
      });
      const long = await store.hit('long', 60);
      assert.ok(
        long.resetSeconds > 1 && long.resetSeconds <= 60,
        `a 60 s window resets in 2-60 s, not ${long.resetSeconds}`,
      );
    });
  });
}

contract('Redis', () => createRedisStore(redis, `${prefix}${randomBytes(2).toString('hex')}:`));
contract('in-memory', () => createMemoryHotStore());

test('the in-memory store stays within its bound, dropping expired keys first, then the oldest', async () => {
  let clock = 0;
  const store = createMemoryHotStore({ maxKeys: 3, now: () => clock });
  await store.set('expiring', 'x', 1);
  await store.set('old', 'x', 60);
  await store.set('middle', 'x', 60);
  clock = 2000;
  await store.set('new', 'x', 60);
  assert.equal(await store.get('old'), 'x', 'the expired key made room');
  await store.set('newest', 'x', 60);
  assert.equal(await store.get('old'), undefined, 'then the oldest went');
  assert.equal(await store.get('newest'), 'x');
});

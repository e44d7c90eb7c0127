import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { backoffDelayMs, BoundedQueue, sleep, startPeriodicJob } from './timing';

const silent = pino({ level: 'silent' });

describe('timing', () => {
  test('sleep waits at least the time asked, and an abort ends it early', async () => {
    const started = performance.now();
    await sleep(30);
    assert.ok(performance.now() - started >= 25, 'sleep(30) waited at least 25 ms');
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });

  test('backoff without jitter doubles from the base up to the cap', () => {
    const policy = { baseMs: 50, maxMs: 5_000, jitter: 'none' } as const;
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 50, 10_000].map((attempt) => backoffDelayMs(attempt, policy)),
      [50, 100, 200, 400, 3_200, 5_000, 5_000, 5_000],
    );
  });

  test('backoff with full jitter stays between 0 and the exponential delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, random) => {
          const delay = backoffDelayMs(attempt, { baseMs: 50, maxMs: 5_000, jitter: 'full' }, () => random);
          const ceiling = backoffDelayMs(attempt, { baseMs: 50, maxMs: 5_000, jitter: 'none' });
          return Number.isInteger(delay) && delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  test('a periodic job never runs twice at once, survives a failed run, and stops', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const job = startPeriodicJob({
      name: 'test',
      intervalMs: 5,
      logger: silent,
      async run() {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        await sleep(20);
        active -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
    });
    await sleep(120);
    await job.stop();
    const after = runs;
    await sleep(40);
    assert.equal(most, 1, 'one run at a time');
    assert.ok(after >= 2, `ran again after the failed run (${after} runs)`);
    assert.equal(runs, after, 'no run after stop');
  });

  test('a bounded queue makes a producer wait while it is full', async () => {
    const queue = new BoundedQueue<number>(2);
    await queue.push(1, 2);
    let pushed = false;
    const third = queue.push(3).then(() => {
      pushed = true;
    });
    await sleep(10);
    assert.equal(pushed, false, 'waits while full');
    assert.deepEqual(queue.take(1), [1]);
    await third;
    assert.deepEqual(queue.take(10), [2, 3]);
    assert.equal(queue.size, 0);
    assert.throws(() => new BoundedQueue(0), RangeError);
  });
});

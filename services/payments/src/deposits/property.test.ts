/**
 * Property: whatever order a deposit's webhook events arrive in, however often
 * each is repeated, and even when they race each other, the deposit is credited
 * at most once, exactly once when it ends `succeeded`, and (when they arrive
 * one after another) it ends in the state of the first decisive event.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { newUserId, startPaymentsHarness, type PaymentsHarness } from '../testing/harness';

let harness: PaymentsHarness;
before(async () => {
  // The sandbox's own webhooks are held back: only the events of the property arrive.
  harness = await startPaymentsHarness('payments-property');
  harness.service.sandbox!.control.setFaults({ paused: true });
});
after(async () => {
  await harness.close();
});

type Kind = 'checkout.succeeded' | 'checkout.failed' | 'checkout.expired';
const stateOf: Record<Kind, string> = {
  'checkout.succeeded': 'succeeded',
  'checkout.failed': 'failed',
  'checkout.expired': 'expired',
};
/** Two distinct success events (a provider may send two, e.g. completed and async_payment_succeeded), a failure, an expiry. */
const pool: readonly Kind[] = ['checkout.succeeded', 'checkout.succeeded', 'checkout.failed', 'checkout.expired'];

it('any order and duplication of webhook events credits a deposit at most once, and once if it succeeded', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      async (picks, concurrent) => {
        const userId = newUserId();
        const deposit = await harness.createDeposit({ userId, amount: '2000' });
        const [row] = await harness.db.query<{ provider_ref: string }>(
          'select provider_ref from deposits where id = $1',
          [deposit.id],
        );
        const eventIds = pool.map(() => `evt_${randomUUID().replaceAll('-', '')}`);
        const bodies = picks.map((index) =>
          JSON.stringify({
            id: eventIds[index],
            type: pool[index],
            created: Math.floor(Date.now() / 1000),
            data: {
              object: 'checkout',
              id: row!.provider_ref,
              reference: deposit.id,
              asset: 'USD',
              amount: '2000',
              reason: null,
            },
          }),
        );
        const send = async (body: string) => {
          const response = await harness.sendSandboxWebhook(body);
          await response.arrayBuffer();
          return response.status;
        };
        const statuses = concurrent
          ? await Promise.all(bodies.map(send))
          : await bodies.reduce<Promise<number[]>>(
              async (done, body) => [...(await done), await send(body)],
              Promise.resolve([]),
            );
        assert.ok(
          statuses.every((status) => status === 200),
          `statuses ${statuses.join(',')}`,
        );
        const final = (await harness.getDeposit(userId, deposit.id)).state;
        const credits = (await harness.outbox('payments.deposit.succeeded')).filter(
          (event) => (event.data as { paymentId: string }).paymentId === deposit.id,
        ).length;
        assert.ok(
          picks.some((index) => stateOf[pool[index]!] === final),
          `ended ${final}, which no event said`,
        );
        assert.equal(credits, final === 'succeeded' ? 1 : 0);
        if (!concurrent) assert.equal(final, stateOf[pool[picks[0]!]!]);
        if (picks.every((index) => pool[index] === 'checkout.succeeded')) assert.equal(credits, 1);
        const distinct = new Set(picks).size;
        assert.equal(await harness.countRows('provider_events', 'subject_id = $1', [deposit.id]), distinct);
      },
    ),
    { numRuns: 30 },
  );
});

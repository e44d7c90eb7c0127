/**
 * The sandbox adapter of the provider port: checkouts and payouts kept in the
 * payments database (migrations/), paid on our own checkout page (routes.ts),
 * settled by webhooks the sender posts to the payments service (sender.ts).
 */
import type { Database } from '@t50/kit';
import {
  ProviderRefusedError,
  ProviderUnavailableError,
  WebhookVerificationError,
  type CreateDepositInput,
  type CreatePayoutInput,
  type PaymentProvider,
  type ProviderRef,
} from '../port';
import { depositStatusOf, payoutStatusOf } from './checkout';
import { parseSandboxWebhook } from './events';
import type { SandboxFaults } from './sender';
import { enqueueEvent, findCheckout, findPayout, insertCheckout, insertPayout } from './store';

export interface SandboxProviderOptions {
  readonly db: Database;
  /** Where the user's browser reaches the payments service; the checkout page is `<publicUrl>/sandbox/checkout/<id>`. */
  readonly publicUrl: string;
  readonly webhookSecret: string;
  readonly faults: SandboxFaults;
  /** How long a payout stays pending before its webhook. */
  readonly payoutSettleMs: number;
}

/** A destination label containing this fails its payout (any case): accepted, then `payout.failed`. */
export const failingDestinationWord = 'fail';
/**
 * A destination label containing this is refused at once (any case), as a real provider refuses an
 * unknown account: the create call fails and no payout exists at the provider.
 */
export const refusedDestinationWord = 'refuse';

/** Every failure that is not the provider's verdict is an outage of the sandbox (its database), as a real provider's would be. */
async function guarded<T>(faults: SandboxFaults, work: () => Promise<T>): Promise<T> {
  if (faults.down) throw new ProviderUnavailableError('sandbox provider is down (test fault)');
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProviderRefusedError || error instanceof WebhookVerificationError) throw error;
    throw new ProviderUnavailableError(
      `sandbox provider unavailable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function checkAmount(amount: bigint): void {
  if (amount <= 0n) throw new ProviderRefusedError('the amount must be positive', 'invalid_amount');
}

export function createSandboxProvider(options: SandboxProviderOptions): PaymentProvider {
  const { db, faults } = options;
  const base = options.publicUrl.replace(/\/+$/, '');
  return {
    name: 'sandbox',
    createDeposit: (input: CreateDepositInput) =>
      guarded(faults, async () => {
        checkAmount(input.amount);
        const { checkout } = await insertCheckout(db, input);
        if (checkout.amount !== input.amount || checkout.asset !== input.asset || checkout.userId !== input.userId)
          throw new ProviderRefusedError('this deposit id was used with other parameters', 'idempotency_key_reused');
        return {
          providerRef: checkout.id,
          redirectUrl: `${base}/sandbox/checkout/${checkout.id}`,
          expiresAt: checkout.expiresAt,
        };
      }),
    getDeposit: (ref: ProviderRef) =>
      guarded(faults, async () => {
        const checkout = await findCheckout(db, { depositId: ref.id, id: ref.providerRef });
        if (checkout === undefined) throw new ProviderRefusedError('no sandbox checkout for this deposit', 'not_found');
        return depositStatusOf(checkout);
      }),
    createPayout: (input: CreatePayoutInput) =>
      guarded(faults, async () => {
        checkAmount(input.amount);
        if (input.destination.toLowerCase().includes(refusedDestinationWord))
          throw new ProviderRefusedError('the sandbox refuses payouts to this destination', 'invalid_destination');
        const fails = input.destination.toLowerCase().includes(failingDestinationWord);
        const { payout } = await db.transaction(async (tx) => {
          const made = await insertPayout(tx, {
            ...input,
            status: fails ? 'failed' : 'succeeded',
            reason: fails ? 'the destination refused the payout' : null,
            settleDelayMs: options.payoutSettleMs,
          });
          if (made.created)
            await enqueueEvent(
              tx,
              fails ? 'payout.failed' : 'payout.paid',
              made.payout,
              options.payoutSettleMs + faults.delayMs,
            );
          return made;
        });
        if (payout.amount !== input.amount || payout.asset !== input.asset || payout.destination !== input.destination)
          throw new ProviderRefusedError('this payout id was used with other parameters', 'idempotency_key_reused');
        return { providerRef: payout.id, status: payoutStatusOf(payout) };
      }),
    getPayout: (ref: ProviderRef) =>
      guarded(faults, async () => {
        const payout = await findPayout(db, { payoutId: ref.id, id: ref.providerRef });
        return payout === undefined ? { status: 'not_found' as const } : payoutStatusOf(payout);
      }),
    verifyAndParseWebhook: (request) =>
      guarded(faults, () => Promise.resolve(parseSandboxWebhook(request, options.webhookSecret))),
  };
}

/**
 * The signed-in user's fiat deposits and payouts, done by the payments
 * service: the gateway names the user (from the access token, never from the
 * request), passes the client's Idempotency-Key, and for a payout first checks
 * the available balance with the ledger, so a payout that cannot be covered is
 * refused at once instead of being recorded and then rejected. The ledger's
 * hold, taken by the payments service, stays the real check.
 */
import { createHash } from 'node:crypto';
import type { DepositView, FiatAsset, FiatProvider, PayoutView } from '@t50/contracts';
import { fail } from '../http/problems';
import type { MoneyService } from '../money/service';
import type { HotStore } from '../store/hot-store';
import type { Asked, PaymentsClient } from './client';
import { PaymentsError } from './errors';

export interface PaymentsDeps {
  readonly payments: PaymentsClient;
  readonly money: Pick<MoneyService, 'balances'>;
  /** Remembers which payout Idempotency-Keys were sent on (see createPayout). */
  readonly store: Pick<HotStore, 'existsAny' | 'set'>;
}

/**
 * How long a payout's Idempotency-Key is remembered: a retry within this time
 * skips the balance check (the first attempt's hold already took the money, and
 * the payments service answers the retry with the first payout).
 */
export const payoutKeyMemorySeconds = 7 * 24 * 3600;

const payoutKey = (userId: string, idempotencyKey: string): string =>
  `payout-key:${userId}:${createHash('sha256').update(idempotencyKey).digest('base64url')}`;

export interface DepositInput {
  readonly provider: FiatProvider;
  readonly asset: FiatAsset;
  readonly amount: string;
}

export interface PayoutInput extends DepositInput {
  readonly destination: string;
}

export interface PaymentsList {
  readonly deposits: DepositView[];
  readonly payouts: PayoutView[];
}

/** `value` of a successful answer, through `pick`; failures and refusals unchanged. */
function mapAsked<T, U>(asked: Asked<T>, pick: (value: T) => U): Asked<U> {
  return asked.ok ? { ok: true, value: pick(asked.value) } : asked;
}

export async function createDeposit(
  deps: PaymentsDeps,
  userId: string,
  idempotencyKey: string,
  input: DepositInput,
  returnUrl: string,
): Promise<Asked<DepositView>> {
  const asked = await deps.payments.ask(
    'payments.deposit.create',
    { userId, idempotencyKey, ...input, returnUrl },
    'deposit',
  );
  return mapAsked(asked, (reply) => reply.deposit);
}

export async function getDeposit(
  deps: PaymentsDeps,
  userId: string,
  depositId: string,
  refresh: boolean,
): Promise<Asked<DepositView>> {
  const asked = await deps.payments.ask('payments.deposit.get', { userId, depositId, refresh }, 'deposit');
  return mapAsked(asked, (reply) => reply.deposit);
}

export async function createPayout(
  deps: PaymentsDeps,
  userId: string,
  idempotencyKey: string,
  input: PayoutInput,
): Promise<Asked<PayoutView>> {
  const key = payoutKey(userId, idempotencyKey);
  // A retry of a payout already sent on: its hold may have taken the money it
  // would now be checked against. The payments service answers it.
  if (!(await deps.store.existsAny([key]))) {
    const balances = await deps.money.balances(userId);
    // No account yet (the registration event is still on its way) holds nothing.
    const available = BigInt(balances.find((balance) => balance.asset === input.asset)?.available ?? '0');
    if (available < BigInt(input.amount)) {
      const detail = `You have ${available} available in ${input.asset} (minor units).`;
      return fail(PaymentsError.InsufficientFunds, detail, { asset: input.asset, available: available.toString() });
    }
    await deps.store.set(key, '1', payoutKeyMemorySeconds);
  }
  const asked = await deps.payments.ask('payments.payout.create', { userId, idempotencyKey, ...input }, 'payout');
  return mapAsked(asked, (reply) => reply.payout);
}

export async function listPayments(deps: PaymentsDeps, userId: string, limit: number): Promise<Asked<PaymentsList>> {
  const asked = await deps.payments.ask('payments.list', { userId, limit }, 'list');
  return mapAsked(asked, (reply) => ({ deposits: reply.deposits, payouts: reply.payouts }));
}

/** The providers the payments service has enabled, in the order to offer them. */
export async function listProviders(deps: PaymentsDeps): Promise<Asked<FiatProvider[]>> {
  const asked = await deps.payments.ask('payments.providers', {}, 'providers');
  return mapAsked(asked, (reply) => reply.providers);
}

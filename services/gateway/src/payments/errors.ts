/**
 * Expected failures of the payment routes that the gateway decides itself.
 * The payments service's own refusals (limits, an unknown deposit, a reused
 * Idempotency-Key, a provider that refused) are not here: they arrive as
 * problem documents in its reply and are answered as they are (./client.ts).
 */
import type { ProblemMap } from '../http/problems';

export enum PaymentsError {
  /** The ledger's available balance is below the payout; the ledger's hold stays the real check. */
  InsufficientFunds = 'insufficient_funds',
  /** No reply from the payments service in time (down, overloaded, or the broker is). */
  Unavailable = 'payments_unavailable',
}

export const paymentsProblems: ProblemMap<PaymentsError> = {
  // The same answer as a send that is short (money/errors.ts): one code, one answer.
  [PaymentsError.InsufficientFunds]: { status: 422, code: 'insufficient_funds', title: 'Insufficient funds' },
  [PaymentsError.Unavailable]: {
    status: 503,
    code: 'payments_unavailable',
    title: 'Payments are unavailable right now; try again in a moment',
  },
};

/**
 * Every refusal the payments service answers with, by stable code: the HTTP
 * status and title the gateway shows (as a problem document). Exhaustive: a new
 * code without a row here does not compile.
 */
import type { PaymentsProblem, PaymentsReply } from '@t50/contracts';

export type PaymentsFailure =
  | 'invalid_request'
  | 'provider_not_enabled'
  | 'amount_out_of_range'
  | 'invalid_destination'
  | 'idempotency_key_reused'
  | 'deposit_not_found'
  | 'provider_unavailable';

const failures: Record<PaymentsFailure, { readonly status: number; readonly title: string }> = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  provider_not_enabled: { status: 422, title: 'This payment provider is not available' },
  amount_out_of_range: { status: 422, title: 'The amount is outside the allowed range' },
  invalid_destination: { status: 422, title: 'The payout destination is not valid for this provider' },
  idempotency_key_reused: { status: 409, title: 'This Idempotency-Key was used for another request' },
  deposit_not_found: { status: 404, title: 'No such deposit' },
  provider_unavailable: {
    status: 503,
    title: 'The payment provider cannot be reached; try again with the same Idempotency-Key',
  },
};

export function problemOf(code: PaymentsFailure, detail?: string): PaymentsProblem {
  const { status, title } = failures[code];
  return { status, code, title, ...(detail === undefined ? {} : { detail: detail.slice(0, 1024) }) };
}

export function problemReply(code: PaymentsFailure, detail?: string): PaymentsReply {
  return { type: 'problem', problem: problemOf(code, detail) };
}

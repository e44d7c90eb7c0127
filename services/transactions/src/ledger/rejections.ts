/**
 * The ledger's expected refusals, as values: each code of `RejectionCode`
 * (packages/contracts, published in `ledger.transfer.rejected` events) maps to
 * one HTTP status and title. The map is a Record over the union, so adding a
 * code without its answer does not compile.
 */
import type { RejectionCode } from '@t50/contracts';
import { HttpProblem } from '@t50/kit';

export const rejectionProblems: Readonly<
  Record<RejectionCode, { readonly status: 404 | 409 | 422; readonly title: string }>
> = {
  account_not_found: { status: 404, title: 'No such account' },
  hold_not_found: { status: 404, title: 'No such hold' },
  conflict: { status: 409, title: 'This id was used with other content' },
  hold_already_posted: { status: 409, title: 'The hold was already posted' },
  hold_already_voided: { status: 409, title: 'The hold was already voided' },
  hold_expired: { status: 409, title: 'The hold expired' },
  insufficient_funds: { status: 422, title: 'Not enough available funds' },
  asset_mismatch: { status: 422, title: 'The account holds another asset' },
  unknown_asset: { status: 422, title: 'Unknown asset' },
  amount_out_of_range: { status: 422, title: 'Amount out of range' },
  same_account: { status: 422, title: 'A leg debits and credits the same account' },
  post_amount_exceeds_hold: { status: 422, title: 'The amount posted exceeds the hold' },
  partial_post_of_multi_leg_hold: { status: 422, title: 'A hold of several legs is posted in full' },
  metadata_too_large: { status: 422, title: 'Metadata too large' },
  wrong_partition: { status: 422, title: "The command writes another partition's accounts" },
};

/** The HTTP problem for a refusal, with the engine's detail. */
export function rejectionProblem(code: RejectionCode, detail: string): HttpProblem {
  const { status, title } = rejectionProblems[code];
  return new HttpProblem(status, code, title, detail);
}

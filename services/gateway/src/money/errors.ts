/** Expected failures of the money use cases (./service.ts): reading a transfer, sending to another user. */
import type { ProblemMap } from '../http/problems';

export enum MoneyError {
  TransferNotFound = 'transfer_not_found',
  /** The sender's tier cannot move this asset (access/tiers.ts minimumTierToMove). */
  TierTooLow = 'tier_too_low',
  RecipientNotFound = 'recipient_not_found',
  SendToSelf = 'send_to_self',
  RecipientTierTooLow = 'recipient_tier_too_low',
  InsufficientFunds = 'insufficient_funds',
  /** The send id was already used for another recipient, asset or amount. */
  SendConflict = 'conflict',
  /** Any other refusal of the ledger; its code is the problem's `reason`. */
  LedgerRefused = 'ledger_refused',
}

export const moneyProblems: ProblemMap<MoneyError> = {
  [MoneyError.TransferNotFound]: { status: 404, code: 'transfer_not_found', title: 'Transfer not found' },
  [MoneyError.TierTooLow]: { status: 403, code: 'tier_too_low', title: 'Your account tier does not allow this yet' },
  [MoneyError.RecipientNotFound]: {
    status: 404,
    code: 'recipient_not_found',
    title: 'No user has this email address',
  },
  [MoneyError.SendToSelf]: { status: 400, code: 'send_to_self', title: 'You cannot send money to yourself' },
  [MoneyError.RecipientTierTooLow]: {
    status: 422,
    code: 'recipient_tier_too_low',
    title: 'The recipient cannot receive this asset yet',
  },
  [MoneyError.InsufficientFunds]: { status: 422, code: 'insufficient_funds', title: 'Insufficient funds' },
  [MoneyError.SendConflict]: {
    status: 409,
    code: 'conflict',
    title: 'This send id was already used for another send',
  },
  [MoneyError.LedgerRefused]: { status: 422, code: 'ledger_refused', title: 'The ledger refused the transfer' },
};

/** Database rows of deposits and payouts, and the views the gateway shows of them. */
import type { DepositState, DepositView, FiatAsset, FiatProvider, PayoutState, PayoutView } from '@t50/contracts';

export interface DepositRow extends Record<string, unknown> {
  id: string;
  user_id: string;
  provider: FiatProvider;
  asset: FiatAsset;
  amount: string;
  state: DepositState;
  provider_ref: string | null;
  redirect_url: string | null;
  return_url: string;
  expires_at: Date;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface PayoutRow extends Record<string, unknown> {
  id: string;
  user_id: string;
  provider: FiatProvider;
  asset: FiatAsset;
  amount: string;
  state: PayoutState;
  destination: string;
  provider_ref: string | null;
  reason: string | null;
  code: string | null;
  created_at: Date;
  updated_at: Date;
}

export const openDepositStates: readonly DepositState[] = ['created', 'processing'];
export const openPayoutStates: readonly PayoutState[] = ['requested', 'held', 'submitted'];

export const depositColumns =
  'id, user_id, provider, asset, amount::text as amount, state, provider_ref, redirect_url, return_url, expires_at, reason, created_at, updated_at';
export const payoutColumns =
  'p.id, p.user_id, p.provider, p.asset, p.amount::text as amount, p.state, d.destination, p.provider_ref, p.reason, p.code, p.created_at, p.updated_at';
export const payoutFrom = 'payouts p join payout_destinations d on d.id = p.destination_id';

export function depositView(row: DepositRow): DepositView {
  const open = openDepositStates.includes(row.state);
  return {
    id: row.id,
    provider: row.provider,
    asset: row.asset,
    amount: row.amount,
    state: row.state,
    ...(open && row.redirect_url !== null ? { redirectUrl: row.redirect_url } : {}),
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.reason === null ? {} : { reason: row.reason.slice(0, 256) }),
  };
}

export function payoutView(row: PayoutRow): PayoutView {
  return {
    id: row.id,
    provider: row.provider,
    asset: row.asset,
    amount: row.amount,
    state: row.state,
    destination: row.destination,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.reason === null ? {} : { reason: row.reason.slice(0, 256) }),
    ...(row.code === null ? {} : { code: row.code }),
  };
}

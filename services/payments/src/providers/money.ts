/**
 * Minor units (bigint) to and from the decimal strings providers and people
 * read ("12345.67"), exactly: never through a float. USD and EUR both have
 * two decimals.
 */
import type { FiatAsset } from '@t50/contracts';

export const decimalsOf: Readonly<Record<FiatAsset, number>> = { USD: 2, EUR: 2 };

/** 1234567n, 'USD' -> '12345.67'. */
export function toDecimalString(amount: bigint, asset: FiatAsset): string {
  const decimals = decimalsOf[asset];
  const sign = amount < 0n ? '-' : '';
  const digits = (amount < 0n ? -amount : amount).toString().padStart(decimals + 1, '0');
  return `${sign}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** '12345.67' (or '12345.6', '12345'), 'USD' -> 1234567n; anything else throws a RangeError. */
export function fromDecimalString(text: string, asset: FiatAsset): bigint {
  const decimals = decimalsOf[asset];
  const match = /^(\d{1,30})(?:\.(\d{1,30}))?$/.exec(text);
  if (match === null) throw new RangeError('not a decimal amount');
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals && !/^0*$/.test(fraction.slice(decimals)))
    throw new RangeError(`more than ${decimals} decimals`);
  return BigInt(whole + fraction.slice(0, decimals).padEnd(decimals, '0'));
}

/** For people: 1234567n, 'USD' -> '12,345.67 USD'. */
export function formatAmount(amount: bigint, asset: FiatAsset): string {
  const [whole = '0', fraction = ''] = toDecimalString(amount, asset).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction} ${asset}`;
}

/** Integer minor units a JSON number can carry exactly (Stripe's amounts are JSON numbers). */
export function toSafeNumber(amount: bigint): number | undefined {
  return amount > 0n && amount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amount) : undefined;
}

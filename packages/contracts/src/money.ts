/**
 * Money on the wire: a non-negative integer in the asset's minor unit (cents,
 * wei) as a decimal string. NUMERIC(78,0) in PostgreSQL, bigint in TypeScript.
 * Never a float.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Largest amount a NUMERIC(78,0) column holds. */
export const maxAmount = 10n ** 78n - 1n;

/** A positive amount: 1 to 78 digits, no sign, no leading zero, no fraction. */
export const PositiveAmount = Type.String({
  pattern: '^[1-9][0-9]{0,77}$',
  description: 'A positive integer in minor units (cents, wei) as a decimal string, at most 78 digits',
  examples: ['1250'],
});

/** A signed balance as a decimal string. */
export const SignedAmount = Type.String({
  pattern: '^-?(0|[1-9][0-9]{0,78})$',
  description: 'An integer in minor units as a decimal string; may be negative for system accounts',
});

export const AssetCode = Type.String({ pattern: '^[A-Z][A-Z0-9]{1,9}$', description: 'Asset code, e.g. USD, EUR, ETH' });

export type PositiveAmount = Static<typeof PositiveAmount>;

/** Parses a decimal string that already passed the PositiveAmount schema. */
export function parseAmount(text: string): bigint {
  if (!/^[1-9][0-9]{0,77}$/.test(text)) throw new RangeError('amount must be a positive integer of at most 78 digits');
  return BigInt(text);
}

export const formatAmount = (amount: bigint): string => amount.toString();

/** Formats minor units for people: 123456n, scale 2 -> "1234.56". */
export function formatMajor(amount: bigint, scale: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Amounts are integers in minor units (cents, wei) carried as decimal strings.
 * Everything here works on bigint and strings, never on floating point, so
 * "0.1" ETH is exactly 100000000000000000 wei.
 */
export const assets = ['USD', 'EUR', 'ETH'] as const;
export type Asset = (typeof assets)[number];

export const decimalsOf: { readonly [A in Asset]: number } = { USD: 2, EUR: 2, ETH: 18 };

export function isAsset(value: string): value is Asset {
  return (assets as readonly string[]).includes(value);
}

/** Minor units -> plain decimal text: 1234 USD -> "12.34", 5e16 wei -> "0.05" (trailing zeros past 2 places dropped). */
export function formatMinor(minor: string | bigint, asset: Asset): string {
  const value = typeof minor === 'bigint' ? minor : BigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  const decimals = decimalsOf[asset];
  const padded = digits.padStart(decimals + 1, '0');
  const whole = padded.slice(0, padded.length - decimals);
  let fraction = padded.slice(padded.length - decimals);
  // Fiat always shows its two places; ETH shows at least two and no useless zeros.
  const keep = Math.min(decimals, 2);
  while (fraction.length > keep && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction.length > 0 ? `.${fraction}` : ''}`;
}

/** For display: thousands separators on the whole part and the asset code. */
export function displayAmount(minor: string | bigint, asset: string): string {
  if (!isAsset(asset)) return `${minor.toString()} ${asset}`;
  const text = formatMinor(minor, asset);
  const [whole = '0', fraction] = text.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const grouped = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`} ${asset}`;
}

export type ParsedAmount =
  { readonly ok: true; readonly minor: string } | { readonly ok: false; readonly reason: string };

/** What a person typed -> minor units, or a sentence saying why not. Zero is accepted here; callers decide. */
export function parseAmount(input: string, asset: Asset): ParsedAmount {
  const text = input.trim();
  const decimals = decimalsOf[asset];
  if (text === '') return { ok: false, reason: 'Enter an amount.' };
  if (text.startsWith('-')) return { ok: false, reason: 'The amount cannot be negative.' };
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return { ok: false, reason: 'Enter a number such as 12.34, with a dot for decimals.' };
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return { ok: false, reason: `${asset} has at most ${decimals} decimal places.` };
  const minor = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (minor.toString().length > 78) return { ok: false, reason: 'The amount is too large.' };
  return { ok: true, minor: minor.toString() };
}

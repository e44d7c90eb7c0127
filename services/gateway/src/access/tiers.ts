/**
 * Account tiers: Browsing, then Basic (KYC
 * level 1), then Full (KYC level 2 approved). Ordered: a higher tier may do
 * everything a lower one may.
 */
export const tiers = ['browsing', 'basic', 'full'] as const;
export type Tier = (typeof tiers)[number];

export const tierRank: { readonly [T in Tier]: number } = { browsing: 0, basic: 1, full: 2 };

export const atLeast = (tier: Tier, minimum: Tier): boolean => tierRank[tier] >= tierRank[minimum];

export const roles = ['user', 'operator'] as const;
export type Role = (typeof roles)[number];

/** Assets a user holds; the ledger opens one account per asset at registration. */
export const userAssets = ['USD', 'EUR', 'ETH'] as const;
export type UserAsset = (typeof userAssets)[number];

/**
 * The tier that may move an asset: ETH from Basic, fiat only from Full. The
 * route table (./policy.ts) lets a Basic user reach the send route; the send
 * use case then applies this rule to the asset in the request.
 */
export const minimumTierToMove: { readonly [A in UserAsset]: Tier } = { ETH: 'basic', USD: 'full', EUR: 'full' };

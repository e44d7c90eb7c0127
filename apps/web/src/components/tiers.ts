import type { Tier, User } from '../api/client';

export const tierName: { readonly [T in Tier]: string } = { browsing: 'Browsing', basic: 'Basic', full: 'Full' };

export const tierAllows: { readonly [T in Tier]: string } = {
  browsing: 'You can look at your balances and history. Sending money needs identity checks.',
  basic: 'You can send ETH to other users. Sending USD and EUR needs Full.',
  full: 'You can send USD, EUR and ETH to other users.',
};

/** The one next step toward a higher tier, or undefined at Full. */
export function nextStep(user: User): { readonly text: string; readonly action?: string } | undefined {
  if (user.tier === 'full') return undefined;
  if (!user.kyc.level1)
    return {
      text: 'Verify your identity (level 1: name, date of birth, address, phone) to reach Basic.',
      action: 'Start level 1',
    };
  switch (user.kyc.level2) {
    case 'pending':
      return { text: 'Your identity document is being reviewed. You reach Full when it is approved.' };
    case 'rejected':
      return {
        text: 'Your identity document was rejected. Read the reason and submit a new one to reach Full.',
        action: 'Submit again',
      };
    case 'none':
    case 'approved':
      return {
        text: 'Upload an identity document (level 2) to reach Full and send USD and EUR.',
        action: 'Start level 2',
      };
  }
}

export function canSend(tier: Tier, asset: string): boolean {
  if (tier === 'full') return true;
  return tier === 'basic' && asset === 'ETH';
}

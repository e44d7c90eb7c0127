/**
 * The password policy (NIST SP 800-63B style): at least 12 characters, at most
 * 256, and not one of the common passwords listed in `common-passwords.txt`
 * (compared in lower case). No composition rules. Characters are Unicode code
 * points of the NFKC form, so an emoji counts once.
 */
import { readFile } from 'node:fs/promises';

export const passwordMinLength = 12;
export const passwordMaxLength = 256;

export type PasswordWeakness = 'too_short' | 'too_long' | 'common';

export const weaknessDetail: { readonly [W in PasswordWeakness]: string } = {
  too_short: `The password must have at least ${passwordMinLength} characters.`,
  too_long: `The password must have at most ${passwordMaxLength} characters.`,
  common: 'The password is on the list of commonly used passwords; choose another.',
};

export interface PasswordPolicy {
  /** Undefined when the (already normalised) password is acceptable. */
  check(password: string): PasswordWeakness | undefined;
  /** How many common passwords are refused (for tests and the start-up log). */
  readonly commonPasswordCount: number;
}

export const commonPasswordsFile = new URL('./common-passwords.txt', import.meta.url);

export async function loadPasswordPolicy(file: URL = commonPasswordsFile): Promise<PasswordPolicy> {
  const common = parseCommonPasswords(await readFile(file, 'utf8'));
  // A list that failed to load (empty, truncated) must not silently allow everything.
  if (common.size < 100) throw new Error(`the common password list ${file.pathname} has only ${common.size} entries`);
  return {
    commonPasswordCount: common.size,
    check(password) {
      const length = [...password].length;
      if (length < passwordMinLength) return 'too_short';
      if (length > passwordMaxLength) return 'too_long';
      if (common.has(password.toLowerCase())) return 'common';
      return undefined;
    },
  };
}

/** One password a line; `#` starts a comment line; blank lines are skipped. */
export function parseCommonPasswords(text: string): ReadonlySet<string> {
  const entries = new Set<string>();
  for (const line of text.split('\n')) {
    const entry = line.replace(/\r$/, '');
    if (entry === '' || entry.startsWith('#')) continue;
    entries.add(entry.toLowerCase());
  }
  return entries;
}

/**
 * Emails are stored normalised: surrounding spaces removed, lower case. Two
 * spellings that differ only in case or surrounding spaces are one account.
 *
 * Accepted: an RFC 5322 dot-atom local part (letters, digits and
 * !#$%&'*+/=?^_`{|}~- with single dots between), `@`, and a domain of at least
 * two DNS labels (ASCII letters, digits, hyphens; internationalised domains in
 * their punycode form). Quoted local parts, comments, IP-literal domains and
 * non-ASCII addresses are refused: no mailbox we need to serve uses them.
 */

/** RFC 5321: a path is at most 256 octets including the angle brackets, so an address at most 254. */
export const emailMaxLength = 254;
const localPartMaxLength = 64;

const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const localPartPattern = new RegExp(`^${atom}(?:\\.${atom})*$`);
const labelPattern = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The normalised email, or undefined when it is not an address we accept. */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email.length < 3 || email.length > emailMaxLength) return undefined;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  const localPart = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (localPart.length > localPartMaxLength || !localPartPattern.test(localPart)) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => labelPattern.test(label))) return undefined;
  // The top-level domain is never all digits (that would be an IPv4 address).
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return email;
}

/**
 * The client address a failure is counted against. IPv4 addresses count one by
 * one; IPv6 addresses by their /64 network, since one subscriber usually holds a
 * whole /64 and could otherwise rotate through it. IPv4-mapped IPv6 addresses
 * count as their IPv4 address.
 */
import { isIP } from 'node:net';

/** The counting bucket of an address, or undefined when it is not an IP address. */
export function addressBucket(address: string): string | undefined {
  const trimmed = address.trim();
  const family = isIP(trimmed);
  if (family === 4) return trimmed;
  if (family !== 6) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  if (mapped?.[1] !== undefined) return mapped[1];
  const groups = expandIpv6(trimmed.toLowerCase());
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, without leading zeros. */
function expandIpv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  // An embedded IPv4 tail (e.g. 64:ff9b::1.2.3.4) is two groups.
  const ipv4Tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(withoutZone);
  let text = withoutZone;
  if (ipv4Tail !== null) {
    const [a, b, c, d] = ipv4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${withoutZone.slice(0, ipv4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => parseInt(group, 16).toString(16));
}

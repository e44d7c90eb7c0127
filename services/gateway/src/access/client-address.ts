/**
 * The end user's IP address, for rate limits and for the auth service's
 * failure counters. Behind N trusted reverse proxies (TRUSTED_PROXY_HOPS) it is
 * the Nth address from the right of X-Forwarded-For, counting the socket's
 * peer as the rightmost: addresses further left were written by the client and
 * prove nothing. Anything that is not an IP address falls back to the peer.
 */
import { isIP } from 'node:net';

export function clientAddressOf(
  request: { readonly ip: string; readonly headers: Record<string, string | string[] | undefined> },
  trustedProxyHops: number,
): string {
  if (trustedProxyHops === 0) return request.ip;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const chain = [...forwarded, request.ip];
  const chosen = chain[Math.max(0, chain.length - 1 - trustedProxyHops)];
  return chosen !== undefined && isIP(chosen) !== 0 ? chosen : request.ip;
}

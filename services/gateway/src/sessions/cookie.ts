/**
 * The refresh-token cookie: httpOnly (no script can read it), SameSite=Strict,
 * Secure unless configured off for plain-HTTP development, and scoped to the
 * /v1/auth routes so it travels only to refresh and logout.
 */
export const refreshCookieName = 't50_refresh';
export const refreshCookiePath = '/v1/auth';

export function refreshCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${refreshCookieName}=${token}`,
    `Path=${refreshCookiePath}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearedRefreshCookie = (secure: boolean): string => refreshCookie('', 0, secure);

/** The refresh token from a Cookie header, if there is exactly one. */
export function refreshTokenFrom(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const values = cookieHeader
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${refreshCookieName}=`))
    .map((part) => part.slice(refreshCookieName.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The PayPal server SDK knows only PayPal's two hosts (live and sandbox). To
 * reach another base URL (a local fake in tests, a proxy) its HTTP client is
 * given an axios adapter, through the SDK's `unstable_httpClientOptions`, that
 * sends each request with fetch to the same path under that base URL.
 */
const officialHosts = new Set(['https://api-m.paypal.com', 'https://api-m.sandbox.paypal.com']);

/** The fields of an axios request config the adapter reads. */
interface AxiosLikeConfig {
  readonly url?: string;
  readonly method?: string;
  readonly headers?: { toJSON?: () => Record<string, unknown> } & Record<string, unknown>;
  readonly data?: unknown;
  readonly auth?: { readonly username: string; readonly password?: string };
  readonly timeout?: number;
}

export function isOfficialPayPalUrl(apiUrl: string): boolean {
  return officialHosts.has(apiUrl.replace(/\/+$/, ''));
}

/** An axios adapter that sends the SDK's requests to `apiUrl` instead of PayPal's host. */
export function rebasingAdapter(apiUrl: string) {
  const base = new URL(apiUrl);
  return async (config: AxiosLikeConfig) => {
    const original = new URL(config.url ?? '/', base);
    const target = new URL(original.pathname + original.search, base);
    const plain = typeof config.headers?.toJSON === 'function' ? config.headers.toJSON() : { ...config.headers };
    const headers = new Headers();
    for (const [name, value] of Object.entries(plain))
      if (typeof value === 'string' || typeof value === 'number') headers.set(name, String(value));
    if (config.auth !== undefined)
      headers.set(
        'authorization',
        `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password ?? ''}`).toString('base64')}`,
      );
    const response = await fetch(target, {
      method: (config.method ?? 'GET').toUpperCase(),
      headers,
      body: typeof config.data === 'string' ? config.data : undefined,
      signal: config.timeout !== undefined && config.timeout > 0 ? AbortSignal.timeout(config.timeout) : undefined,
    });
    return {
      data: await response.text(),
      status: response.status,
      statusText: response.statusText,
      headers: Object.fromEntries(response.headers.entries()),
      config,
      request: {},
    };
  };
}

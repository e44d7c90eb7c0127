/**
 * A thin client for the PayPal REST calls the server SDK does not have:
 * Payouts (create a batch, read a batch) and webhook signature verification,
 * with an OAuth token from client credentials cached until shortly before it
 * expires. A network failure, a 5xx or a 429 is ProviderUnavailableError; any
 * other 4xx is a PayPalRestError the caller reads.
 */
import { ProviderUnavailableError } from '../port';

export interface PayPalRestOptions {
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
}

/** A 4xx answer: PayPal's error document (name, message, details, links). */
export class PayPalRestError extends Error {
  override readonly name = 'PayPalRestError';
  constructor(
    readonly status: number,
    readonly body: PayPalErrorBody,
  ) {
    super(`PayPal answered ${status}: ${body.name ?? 'error'}${body.message === undefined ? '' : `: ${body.message}`}`);
  }
}

export interface PayPalErrorBody {
  readonly name?: string;
  readonly message?: string;
  readonly details?: readonly { readonly field?: string; readonly issue?: string; readonly description?: string }[];
  readonly links?: readonly { readonly href: string; readonly rel: string; readonly method?: string }[];
}

/** Seconds before its expiry a token is no longer used. */
const tokenMarginSeconds = 60;

export interface PayPalRest {
  request<T>(method: 'GET' | 'POST', path: string, options?: { body?: string; requestId?: string }): Promise<T>;
}

export function createPayPalRest(options: PayPalRestOptions): PayPalRest {
  const base = options.apiUrl.replace(/\/+$/, '');
  let token: { value: string; until: number } | undefined;

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      throw new ProviderUnavailableError(
        `PayPal unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async function read<T>(response: Response): Promise<T> {
    const text = await response.text();
    if (response.status >= 500 || [401, 403, 429].includes(response.status))
      throw new ProviderUnavailableError(`PayPal answered ${response.status}`);
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ProviderUnavailableError(`PayPal answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) throw new PayPalRestError(response.status, body as PayPalErrorBody);
    return body as T;
  }

  async function accessToken(): Promise<string> {
    if (token !== undefined && Date.now() < token.until) return token.value;
    const credentials = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');
    const answer = await read<{ access_token?: string; expires_in?: number }>(
      await send(`${base}/v1/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
    );
    if (typeof answer.access_token !== 'string') throw new ProviderUnavailableError('PayPal gave no access token');
    const seconds = typeof answer.expires_in === 'number' ? answer.expires_in : 300;
    token = { value: answer.access_token, until: Date.now() + Math.max(0, seconds - tokenMarginSeconds) * 1000 };
    return token.value;
  }

  return {
    async request<T>(
      method: 'GET' | 'POST',
      path: string,
      request: { body?: string; requestId?: string } = {},
    ): Promise<T> {
      for (let attempt = 1; ; attempt += 1) {
        const headers: Record<string, string> = {
          authorization: `Bearer ${await accessToken()}`,
          accept: 'application/json',
        };
        if (request.body !== undefined) headers['content-type'] = 'application/json';
        if (request.requestId !== undefined) headers['paypal-request-id'] = request.requestId;
        const response = await send(`${base}${path}`, { method, headers, body: request.body });
        // A token PayPal no longer takes (revoked, clock skew): drop it and try once more with a new one.
        if (response.status === 401 && attempt === 1) {
          await response.body?.cancel();
          token = undefined;
          continue;
        }
        return read<T>(response);
      }
    },
  };
}

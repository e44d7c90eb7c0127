/**
 * A local fake of the parts of Stripe's API the adapter uses, for tests that
 * run the real `stripe` SDK against it: Checkout Sessions (create, retrieve
 * with `expand[]=payment_intent`) and Connect transfers (create, retrieve,
 * list by transfer_group). Form-encoded requests and JSON answers in Stripe's
 * shapes and errors; the Idempotency-Key honoured (same key: the same object;
 * same key, other parameters: Stripe's idempotency_error). The test plays the
 * customer and Stripe itself through its controls, and gets events signed as
 * Stripe signs them.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { WebhookRequest } from '../providers/port';
import {
  decodeStripeForm,
  FakeServer,
  header,
  IdempotencyStore,
  type FakeAnswer,
  type FakeRequest,
  type Health,
} from './fake-server';

type Json = Record<string, unknown>;

const stripeError = (status: number, type: string, message: string, code?: string): FakeAnswer => ({
  status,
  body: { error: { type, message, ...(code === undefined ? {} : { code }) } },
});

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

export class FakeStripe {
  readonly sessions = new Map<string, Json>();
  readonly transfers = new Map<string, Json>();
  readonly paymentIntents = new Map<string, Json>();
  /** How many sessions/transfers were made per our id (client_reference_id, transfer_group). */
  readonly made = new Map<string, number>();
  /** The Stripe-Version header of every request. */
  readonly versions: string[] = [];
  readonly #idempotency = new IdempotencyStore();
  readonly #server: FakeServer;
  url = '';

  constructor(readonly secretKey = 'sk_test_fake_0123456789') {
    this.#server = new FakeServer((request) => this.#handle(request), {
      error: { type: 'api_error', message: 'An unknown error occurred (fake Stripe told to fail)' },
    });
  }

  async start(): Promise<this> {
    this.url = await this.#server.listen();
    return this;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  setHealth(health: Health): void {
    this.#server.health = health;
  }

  get requests(): FakeServer['requests'] {
    return this.#server.requests;
  }

  /** The customer finished the checkout: paid, declined (an async payment that failed) or still processing. */
  completeSession(sessionId: string, outcome: 'paid' | 'failed' | 'processing'): Json {
    const session = this.#session(sessionId);
    const intent: Json = {
      id: id('pi'),
      object: 'payment_intent',
      amount: session.amount_total,
      currency: session.currency,
      status: outcome === 'paid' ? 'succeeded' : outcome === 'processing' ? 'processing' : 'requires_payment_method',
      last_payment_error:
        outcome === 'failed' ? { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } : null,
      metadata: session.metadata,
    };
    this.paymentIntents.set(intent.id as string, intent);
    Object.assign(session, {
      status: 'complete',
      payment_status: outcome === 'paid' ? 'paid' : 'unpaid',
      payment_intent: intent.id,
      url: null,
    });
    return session;
  }

  expireSession(sessionId: string): Json {
    return Object.assign(this.#session(sessionId), { status: 'expired', url: null });
  }

  reverseTransfer(transferId: string): Json {
    const transfer = this.transfers.get(transferId);
    if (transfer === undefined) throw new Error(`no transfer ${transferId}`);
    return Object.assign(transfer, { reversed: true, amount_reversed: transfer.amount });
  }

  /** An event as Stripe sends it to a webhook endpoint, signed with `secret` at `at`. */
  signedEvent(type: string, object: Json, secret: string, at = new Date()): WebhookRequest {
    const payload = JSON.stringify({
      id: id('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(at.getTime() / 1000),
    });
    return {
      rawBody: Buffer.from(payload),
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    };
  }

  /** Posts a signed event to a webhook URL (the payments service's /webhooks/stripe); returns the HTTP status. */
  async sendEvent(url: string, type: string, object: Json, secret: string): Promise<number> {
    const event = this.signedEvent(type, object, secret);
    const response = await fetch(url, {
      method: 'POST',
      headers: event.headers as Record<string, string>,
      body: event.rawBody,
    });
    await response.body?.cancel();
    return response.status;
  }

  #session(sessionId: string): Json {
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new Error(`no session ${sessionId}`);
    return session;
  }

  #count(key: string): void {
    this.made.set(key, (this.made.get(key) ?? 0) + 1);
  }

  async #handle(request: FakeRequest): Promise<FakeAnswer> {
    this.versions.push(header(request, 'stripe-version') ?? '');
    if (header(request, 'authorization') !== `Bearer ${this.secretKey}`)
      return stripeError(401, 'invalid_request_error', 'Invalid API Key provided');
    const form = decodeStripeForm(request.body);
    const key = header(request, 'idempotency-key');
    const conflict = () =>
      stripeError(
        400,
        'idempotency_error',
        'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      );
    const route = `${request.method} ${request.path}`;
    if (route === 'POST /v1/checkout/sessions')
      return this.#idempotency.once(key, request.body, () => this.#createSession(form), conflict);
    if (route === 'POST /v1/transfers')
      return this.#idempotency.once(key, request.body, () => this.#createTransfer(form), conflict);
    if (route === 'GET /v1/transfers') {
      const group = request.query.get('transfer_group');
      const data = [...this.transfers.values()]
        .filter((transfer) => group === null || transfer.transfer_group === group)
        .reverse();
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/transfers' } };
    }
    const session = /^GET \/v1\/checkout\/sessions\/([^/]+)$/.exec(route);
    if (session !== null) {
      const found = this.sessions.get(decodeURIComponent(session[1] ?? ''));
      if (found === undefined)
        return stripeError(
          404,
          'invalid_request_error',
          `No such checkout.session: '${session[1]}'`,
          'resource_missing',
        );
      const expand = Object.values(decodeStripeForm(request.query).expand ?? {});
      const intent =
        typeof found.payment_intent === 'string' ? this.paymentIntents.get(found.payment_intent) : undefined;
      return {
        status: 200,
        body: expand.includes('payment_intent') && intent !== undefined ? { ...found, payment_intent: intent } : found,
      };
    }
    const transfer = /^GET \/v1\/transfers\/([^/]+)$/.exec(route);
    if (transfer !== null) {
      const found = this.transfers.get(decodeURIComponent(transfer[1] ?? ''));
      if (found === undefined)
        return stripeError(404, 'invalid_request_error', `No such transfer: '${transfer[1]}'`, 'resource_missing');
      return { status: 200, body: found };
    }
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${request.path})`);
  }

  #createSession(form: ReturnType<typeof decodeStripeForm>): FakeAnswer {
    const item = (form.line_items as Json | undefined)?.['0'] as Json | undefined;
    const price = item?.price_data as Json | undefined;
    const amount = Number(price?.unit_amount);
    const expiresAt = Number(form.expires_at);
    if (form.mode !== 'payment' || !Number.isSafeInteger(amount) || amount < 1 || typeof price?.currency !== 'string')
      return stripeError(
        400,
        'invalid_request_error',
        'Missing or invalid line_items, mode or currency',
        'parameter_invalid',
      );
    if (!(expiresAt >= now() + 30 * 60 - 5 && expiresAt <= now() + 24 * 3600 + 5))
      return stripeError(
        400,
        'invalid_request_error',
        'expires_at must be 30 minutes to 24 hours from now',
        'parameter_invalid_integer',
      );
    const sessionId = `cs_test_${randomBytes(16).toString('hex')}`;
    const session: Json = {
      id: sessionId,
      object: 'checkout.session',
      amount_subtotal: amount * Number(item?.quantity ?? 1),
      amount_total: amount * Number(item?.quantity ?? 1),
      cancel_url: form.cancel_url ?? null,
      client_reference_id: form.client_reference_id ?? null,
      created: now(),
      currency: price.currency,
      expires_at: expiresAt,
      livemode: false,
      metadata: form.metadata ?? {},
      mode: 'payment',
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: form.success_url ?? null,
      url: `${this.url}/c/pay/${sessionId}`,
    };
    this.sessions.set(sessionId, session);
    this.#count(`session:${typeof form.client_reference_id === 'string' ? form.client_reference_id : ''}`);
    return { status: 200, body: session };
  }

  #createTransfer(form: ReturnType<typeof decodeStripeForm>): FakeAnswer {
    const amount = Number(form.amount);
    if (!Number.isSafeInteger(amount) || amount < 1 || typeof form.currency !== 'string')
      return stripeError(400, 'invalid_request_error', 'Invalid amount or currency', 'parameter_invalid_integer');
    if (typeof form.destination !== 'string' || !/^acct_[A-Za-z0-9]+$/.test(form.destination))
      return stripeError(400, 'invalid_request_error', 'No such destination', 'resource_missing');
    const transfer: Json = {
      id: id('tr'),
      object: 'transfer',
      amount,
      amount_reversed: 0,
      created: now(),
      currency: form.currency,
      destination: form.destination,
      livemode: false,
      metadata: form.metadata ?? {},
      reversed: false,
      transfer_group: form.transfer_group ?? null,
    };
    this.transfers.set(transfer.id as string, transfer);
    this.#count(`transfer:${typeof form.transfer_group === 'string' ? form.transfer_group : ''}`);
    return { status: 200, body: transfer };
  }
}

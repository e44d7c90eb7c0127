/**
 * A local fake of the parts of PayPal's REST API the adapter uses, for tests
 * that run the real server SDK (and our thin REST client) against it: OAuth
 * client credentials, Orders v2 (create, get, capture), Payouts (create a
 * batch, read it) and verify-webhook-signature. JSON in PayPal's shapes and
 * errors; PayPal-Request-Id honoured (same id: the same answer), a second
 * payout batch with a used sender_batch_id refused with a link to the first,
 * as PayPal does. The test plays the buyer and PayPal through its controls,
 * and gets webhooks signed so that only this fake's verify call accepts them.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { WebhookRequest } from '../providers/port';
import { FakeServer, header, IdempotencyStore, type FakeAnswer, type FakeRequest, type Health } from './fake-server';

type Json = Record<string, unknown>;

const paypalError = (status: number, name: string, message: string, issue?: string, extra: Json = {}): FakeAnswer => ({
  status,
  body: {
    name,
    message,
    debug_id: randomBytes(6).toString('hex'),
    ...(issue === undefined ? {} : { details: [{ issue, description: message }] }),
    ...extra,
  },
});
const upperId = (length: number) => randomBytes(length).toString('hex').toUpperCase().slice(0, length);

export class FakePayPal {
  readonly orders = new Map<string, Json>();
  readonly batches = new Map<string, Json>();
  /** How many orders / payout batches were made per our id (custom_id, sender_batch_id). */
  readonly made = new Map<string, number>();
  /** Answer a repeated PayPal-Request-Id with the first answer (true, as PayPal); false shows what happens without. */
  honourRequestIds = true;
  tokensIssued = 0;
  url = '';
  readonly #tokens = new Set<string>();
  readonly #declineOnCapture = new Set<string>();
  readonly #batchBySenderId = new Map<string, string>();
  readonly #idempotency = new IdempotencyStore();
  readonly #signingKey = randomBytes(32);
  readonly #server: FakeServer;

  constructor(
    readonly clientId = 'fake-client-id',
    readonly clientSecret = 'fake-client-secret-0123456789',
  ) {
    this.#server = new FakeServer((request) => this.#handle(request), {
      name: 'INTERNAL_SERVER_ERROR',
      message: 'An internal server error occurred.',
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

  /** The buyer approved the order on PayPal's page; `declined`: the capture will be refused (INSTRUMENT_DECLINED). */
  approveOrder(orderId: string, outcome: 'approved' | 'declined' = 'approved'): void {
    this.#order(orderId).status = 'APPROVED';
    if (outcome === 'declined') this.#declineOnCapture.add(orderId);
  }

  voidOrder(orderId: string): void {
    this.#order(orderId).status = 'VOIDED';
  }

  /** The capture resource of a PAYMENT.CAPTURE.COMPLETED event for an order. */
  captureResource(orderId: string): Json {
    const unit = (this.#order(orderId).purchase_units as Json[])[0] ?? {};
    return {
      id: upperId(17),
      status: 'COMPLETED',
      amount: unit.amount,
      custom_id: unit.custom_id,
      invoice_id: unit.invoice_id,
      final_capture: true,
      supplementary_data: { related_ids: { order_id: orderId } },
      create_time: new Date().toISOString(),
    };
  }

  /** An event as PayPal posts it, signed for the webhook subscription `webhookId`, sent at `at`. */
  signedEvent(eventType: string, resource: Json, webhookId: string, at = new Date()): WebhookRequest {
    const body = JSON.stringify({
      id: `WH-${upperId(17)}`,
      event_version: '1.0',
      create_time: at.toISOString(),
      resource_type: eventType.startsWith('PAYMENT.PAYOUTS') ? 'payouts_item' : 'capture',
      event_type: eventType,
      summary: eventType,
      resource,
    });
    const transmissionId = randomUUID();
    const transmissionTime = at.toISOString();
    return {
      rawBody: Buffer.from(body),
      headers: {
        'content-type': 'application/json',
        'paypal-transmission-id': transmissionId,
        'paypal-transmission-time': transmissionTime,
        'paypal-transmission-sig': this.#sign(transmissionId, transmissionTime, webhookId, body),
        'paypal-cert-url': 'https://api.paypal.com/v1/notifications/certs/CERT-fake',
        'paypal-auth-algo': 'SHA256withRSA',
      },
    };
  }

  async sendEvent(url: string, eventType: string, resource: Json, webhookId: string): Promise<number> {
    const event = this.signedEvent(eventType, resource, webhookId);
    const response = await fetch(url, {
      method: 'POST',
      headers: event.headers as Record<string, string>,
      body: event.rawBody,
    });
    await response.body?.cancel();
    return response.status;
  }

  #sign(transmissionId: string, time: string, webhookId: string, body: string): string {
    return createHmac('sha256', this.#signingKey)
      .update(`${transmissionId}|${time}|${webhookId}|${crc32(body)}`)
      .digest('base64');
  }

  #order(orderId: string): Json {
    const order = this.orders.get(orderId);
    if (order === undefined) throw new Error(`no order ${orderId}`);
    return order;
  }

  #count(key: string): void {
    this.made.set(key, (this.made.get(key) ?? 0) + 1);
  }

  async #handle(request: FakeRequest): Promise<FakeAnswer> {
    const route = `${request.method} ${request.path}`;
    if (route === 'POST /v1/oauth2/token') return this.#token(request);
    const bearer = /^Bearer (.+)$/.exec(header(request, 'authorization') ?? '')?.[1];
    if (bearer === undefined || !this.#tokens.has(bearer))
      return paypalError(401, 'invalid_token', 'Access Token not found in cache');
    let body: Json = {};
    try {
      body = request.body === '' ? {} : (JSON.parse(request.body) as Json);
    } catch {
      return paypalError(400, 'INVALID_REQUEST', 'Request is not well-formed', 'MALFORMED_REQUEST_JSON');
    }
    const requestId = this.honourRequestIds ? header(request, 'paypal-request-id') : undefined;
    const conflict = () =>
      paypalError(422, 'UNPROCESSABLE_ENTITY', 'PayPal-Request-Id reused with another request', 'DUPLICATE_REQUEST_ID');
    if (route === 'POST /v2/checkout/orders')
      return this.#idempotency.once(
        requestId && `order:${requestId}`,
        request.body,
        () => this.#createOrder(body),
        conflict,
      );
    if (route === 'POST /v1/payments/payouts')
      return this.#idempotency.once(
        requestId && `payout:${requestId}`,
        request.body,
        () => this.#createBatch(body),
        conflict,
      );
    if (route === 'POST /v1/notifications/verify-webhook-signature') return this.#verify(body);
    const order = /^(GET|POST) \/v2\/checkout\/orders\/([^/]+)(\/capture)?$/.exec(route);
    if (order !== null) {
      const id = decodeURIComponent(order[2] ?? '');
      const found = this.orders.get(id);
      if (found === undefined)
        return paypalError(404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', 'INVALID_RESOURCE_ID');
      if (order[1] === 'GET' && order[3] === undefined) return { status: 200, body: found };
      if (order[1] === 'POST' && order[3] === '/capture')
        return this.#idempotency.once(requestId && `capture:${requestId}`, id, () => this.#capture(found), conflict);
    }
    const batch = /^GET \/v1\/payments\/payouts\/([^/]+)$/.exec(route);
    if (batch !== null) return this.#readBatch(decodeURIComponent(batch[1] ?? ''));
    return paypalError(404, 'NOT_FOUND', `No route ${route}`);
  }

  #token(request: FakeRequest): FakeAnswer {
    const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    if (header(request, 'authorization') !== expected || !request.body.includes('grant_type=client_credentials'))
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
    const token = `A21AA${randomBytes(24).toString('hex')}`;
    this.#tokens.add(token);
    this.tokensIssued += 1;
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/payments/payouts',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-FAKE',
        expires_in: 32400,
        nonce: randomUUID(),
      },
    };
  }

  #createOrder(body: Json): FakeAnswer {
    const unit = (body.purchase_units as Json[] | undefined)?.[0];
    const amount = unit?.amount as Json | undefined;
    if (
      body.intent !== 'CAPTURE' ||
      typeof amount?.value !== 'string' ||
      !/^\d+(\.\d{2})?$/.test(amount.value) ||
      typeof amount.currency_code !== 'string'
    )
      return paypalError(
        400,
        'INVALID_REQUEST',
        'Request is not well-formed, syntactically incorrect, or violates schema.',
        'INVALID_PARAMETER_VALUE',
      );
    const id = upperId(17);
    const order: Json = {
      id,
      intent: 'CAPTURE',
      status: 'PAYER_ACTION_REQUIRED',
      payment_source: { paypal: {} },
      purchase_units: [
        {
          reference_id: unit?.reference_id ?? 'default',
          amount,
          custom_id: unit?.custom_id,
          invoice_id: unit?.invoice_id,
          description: unit?.description,
        },
      ],
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.url}/v2/checkout/orders/${id}`, rel: 'self', method: 'GET' },
        { href: `${this.url}/checkoutnow?token=${id}`, rel: 'payer-action', method: 'GET' },
      ],
    };
    this.orders.set(id, order);
    this.#count(`order:${String(unit?.custom_id)}`);
    return { status: 201, body: order };
  }

  #capture(order: Json): FakeAnswer {
    if (order.status === 'COMPLETED')
      return paypalError(422, 'UNPROCESSABLE_ENTITY', 'Order already captured.', 'ORDER_ALREADY_CAPTURED');
    if (order.status !== 'APPROVED')
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'Payer has not yet approved the Order for payment.',
        'ORDER_NOT_APPROVED',
      );
    if (this.#declineOnCapture.has(order.id as string))
      return paypalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'The instrument presented was either declined by the processor or bank.',
        'INSTRUMENT_DECLINED',
      );
    const unit = (order.purchase_units as Json[])[0] ?? {};
    const { supplementary_data: _related, ...capture } = this.captureResource(order.id as string);
    Object.assign(unit, { payments: { captures: [capture] } });
    order.status = 'COMPLETED';
    return { status: 201, body: order };
  }

  #createBatch(body: Json): FakeAnswer {
    const header = body.sender_batch_header as Json | undefined;
    const item = (body.items as Json[] | undefined)?.[0];
    const senderBatchId = header?.sender_batch_id;
    if (typeof senderBatchId !== 'string' || item === undefined || typeof item.receiver !== 'string')
      return paypalError(400, 'VALIDATION_ERROR', 'Invalid request - see details', 'REQUIRED_FIELD_MISSING');
    const existing = this.#batchBySenderId.get(senderBatchId);
    if (existing !== undefined)
      return paypalError(400, 'USER_BUSINESS_ERROR', 'User business error.', 'SENDER_BATCH_ID_ALREADY_EXISTS', {
        details: [
          { field: 'SENDER_BATCH_ID', location: 'body', issue: `Batch with given sender_batch_id already exists` },
        ],
        links: [
          {
            href: `${this.url}/v1/payments/payouts/${existing}`,
            rel: 'self',
            method: 'GET',
            encType: 'application/json',
          },
        ],
      });
    const batchId = upperId(13);
    this.#batchBySenderId.set(senderBatchId, batchId);
    this.batches.set(batchId, { batchId, header, item, time: new Date().toISOString() });
    this.#count(`batch:${senderBatchId}`);
    return {
      status: 201,
      body: {
        batch_header: { payout_batch_id: batchId, batch_status: 'PENDING', sender_batch_header: header },
        links: [
          {
            href: `${this.url}/v1/payments/payouts/${batchId}`,
            rel: 'self',
            method: 'GET',
            encType: 'application/json',
          },
        ],
      },
    };
  }

  /** A batch has been processed by the time it is read: SUCCESS, or FAILED for a receiver containing "fail". */
  #readBatch(batchId: string): FakeAnswer {
    const batch = this.batches.get(batchId);
    if (batch === undefined)
      return paypalError(404, 'INVALID_RESOURCE_ID', 'The requested resource ID was not found', 'INVALID_RESOURCE_ID');
    const item = batch.item as Json;
    const failed = String(item.receiver).toLowerCase().includes('fail');
    return {
      status: 200,
      body: {
        batch_header: {
          payout_batch_id: batchId,
          batch_status: 'SUCCESS',
          time_created: batch.time,
          sender_batch_header: batch.header,
        },
        items: [
          {
            payout_item_id: `ITEM${batchId}`,
            transaction_status: failed ? 'FAILED' : 'SUCCESS',
            payout_batch_id: batchId,
            payout_item: {
              recipient_type: 'EMAIL',
              amount: item.amount,
              receiver: item.receiver,
              sender_item_id: item.sender_item_id,
            },
            ...(failed ? { errors: { name: 'RECEIVER_UNREGISTERED', message: 'Receiver is unregistered' } } : {}),
          },
        ],
      },
    };
  }

  #verify(body: Json): FakeAnswer {
    const fields = ['transmission_id', 'transmission_time', 'transmission_sig', 'webhook_id', 'cert_url', 'auth_algo'];
    if (fields.some((field) => typeof body[field] !== 'string') || typeof body.webhook_event !== 'object')
      return paypalError(400, 'VALIDATION_ERROR', 'Invalid data provided', 'MISSING_REQUIRED_PARAMETER');
    const expected = this.#sign(
      body.transmission_id as string,
      body.transmission_time as string,
      body.webhook_id as string,
      JSON.stringify(body.webhook_event),
    );
    return { status: 200, body: { verification_status: expected === body.transmission_sig ? 'SUCCESS' : 'FAILURE' } };
  }
}

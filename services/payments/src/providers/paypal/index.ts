/**
 * The PayPal adapter of the provider port.
 *
 * - A deposit is an Orders v2 order (intent CAPTURE) made through the server
 *   SDK, our deposit id as custom_id and invoice_id and as its PayPal-Request-Id;
 *   the user approves it on PayPal's page (the `payer-action`/`approve` link).
 *   `getDeposit` reads the order and captures an approved one (PayPal-Request-Id
 *   `capture-<deposit id>`, so a repeated capture is the same capture).
 * - A payout is a Payouts batch of one item, our payout id as sender_batch_id,
 *   sender_item_id and PayPal-Request-Id. PayPal refuses a second batch with the
 *   same sender_batch_id and links the first: that is read as "already made".
 * - Webhooks are verified by PayPal's verify-webhook-signature call.
 */
import {
  ApiError,
  CaptureStatus,
  CheckoutPaymentIntent,
  Client,
  Environment,
  OrdersController,
  OrderStatus,
  PaypalExperienceUserAction,
  type Order,
} from '@paypal/paypal-server-sdk';
import { fromDecimalString, toDecimalString } from '../money';
import {
  ProviderRefusedError,
  ProviderUnavailableError,
  type CreateDepositInput,
  type CreatePayoutInput,
  type PaymentProvider,
  type ProviderDepositStatus,
  type ProviderPayoutStatus,
} from '../port';
import { verifyPayPalWebhook } from './events';
import { createPayPalRest, PayPalRestError, type PayPalRest } from './rest';
import { isOfficialPayPalUrl, rebasingAdapter } from './sdk-transport';

export interface PayPalProviderOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The id PayPal gave the webhook subscription; events are verified against it. */
  readonly webhookId: string;
  /** https://api-m.paypal.com (live), https://api-m.sandbox.paypal.com (PayPal's sandbox) or another base URL (tests). */
  readonly apiUrl: string;
  /** Per request. Default 20 s. */
  readonly timeoutMs?: number;
  readonly brandName?: string;
}

function translate(error: unknown): Error {
  if (error instanceof ProviderUnavailableError || error instanceof ProviderRefusedError) return error;
  if (error instanceof ApiError) {
    // 401/403: our credentials were refused; the request itself is fine and is retried once they are fixed.
    if (error.statusCode >= 500 || [401, 403, 429].includes(error.statusCode))
      return new ProviderUnavailableError(`PayPal answered ${error.statusCode}`);
    const name = issueOf(error) ?? 'refused';
    return new ProviderRefusedError(
      `PayPal refused: ${name}`,
      error.statusCode === 404
        ? 'not_found'
        : name
            .toLowerCase()
            .replace(/[^a-z_]/g, '_')
            .slice(0, 64),
    );
  }
  if (error instanceof PayPalRestError) {
    if (error.status === 404) return new ProviderRefusedError(error.message, 'not_found');
    return new ProviderRefusedError(
      error.message,
      (error.body.name ?? 'refused')
        .toLowerCase()
        .replace(/[^a-z_]/g, '_')
        .slice(0, 64),
    );
  }
  // Network failures, timeouts, a body the SDK cannot read: PayPal is not answering properly.
  return new ProviderUnavailableError(`PayPal unavailable: ${error instanceof Error ? error.message : String(error)}`);
}

/** PayPal's first issue (INSTRUMENT_DECLINED, ORDER_ALREADY_CAPTURED, ...) or its error name. */
function issueOf(error: ApiError<unknown>): string | undefined {
  const result = (typeof error.result === 'object' && error.result !== null ? error.result : {}) as {
    name?: string;
    details?: { issue?: string }[];
  };
  let body: typeof result = result;
  if (result.name === undefined && typeof error.body === 'string') {
    try {
      body = JSON.parse(error.body) as typeof result;
    } catch {
      body = {};
    }
  }
  return body.details?.[0]?.issue ?? body.name;
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error);
  }
}

const declinedIssues = new Set([
  'INSTRUMENT_DECLINED',
  'TRANSACTION_REFUSED',
  'PAYER_CANNOT_PAY',
  'PAYEE_BLOCKED_TRANSACTION',
]);

export function depositStatusOfOrder(order: Order): ProviderDepositStatus {
  const unit = order.purchaseUnits?.[0];
  const capture = unit?.payments?.captures?.[0];
  switch (order.status) {
    case OrderStatus.Completed: {
      if (capture?.status === CaptureStatus.Pending) return { status: 'processing' };
      if (capture?.status === CaptureStatus.Declined || capture?.status === CaptureStatus.Failed)
        return { status: 'failed', reason: 'PayPal declined the payment' };
      const amount = capture?.amount ?? unit?.amount;
      const asset = amount?.currencyCode;
      if (amount === undefined || (asset !== 'USD' && asset !== 'EUR'))
        throw new ProviderRefusedError('a completed order without a USD or EUR amount', 'unexpected_currency');
      return { status: 'succeeded', amount: fromDecimalString(amount.value, asset), asset };
    }
    case OrderStatus.Voided:
      return { status: 'expired', reason: 'the order was voided or expired before it was paid' };
    case OrderStatus.Approved:
      return { status: 'processing' };
    case OrderStatus.Created:
    case OrderStatus.Saved:
    case OrderStatus.PayerActionRequired:
    case undefined:
      return { status: 'open' };
  }
}

interface PayoutBatch {
  readonly batch_header?: { readonly payout_batch_id?: string; readonly batch_status?: string };
  readonly items?: readonly {
    readonly transaction_status?: string;
    readonly errors?: { readonly name?: string; readonly message?: string };
  }[];
}

const failedItem = new Set(['FAILED', 'RETURNED', 'BLOCKED', 'REFUNDED', 'REVERSED', 'DENIED', 'CANCELED']);

function payoutStatusOfBatch(batch: PayoutBatch): ProviderPayoutStatus {
  const item = batch.items?.[0];
  const batchStatus = batch.batch_header?.batch_status;
  if (batchStatus === 'DENIED' || batchStatus === 'CANCELED')
    return { status: 'failed', reason: `PayPal: the payout batch was ${batchStatus.toLowerCase()}` };
  if (item?.transaction_status === 'SUCCESS') return { status: 'succeeded' };
  if (item?.transaction_status !== undefined && failedItem.has(item.transaction_status))
    return {
      status: 'failed',
      reason: item.errors?.message ?? `PayPal: the payout item is ${item.transaction_status.toLowerCase()}`,
    };
  return { status: 'pending' };
}

/** The first batch's id from PayPal's "duplicate sender_batch_id" refusal (its link to the original payout). */
function duplicateBatchId(error: PayPalRestError): string | undefined {
  const mentionsBatchId = JSON.stringify(error.body).toUpperCase().includes('SENDER_BATCH_ID');
  if (!mentionsBatchId) return undefined;
  for (const link of error.body.links ?? []) {
    const match = /\/v1\/payments\/payouts\/([A-Za-z0-9]+)$/.exec(link.href);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/** PayPal's limits: sender_item_id at most 63 characters, PayPal-Request-Id at most 108. */
const maxPayoutIdLength = 63;
const maxDepositIdLength = 100;

async function createPayout(rest: PayPalRest, input: CreatePayoutInput) {
  if (input.payoutId.length > maxPayoutIdLength)
    throw new ProviderRefusedError(`a PayPal payout id has at most ${maxPayoutIdLength} characters`, 'invalid_id');
  const body = JSON.stringify({
    sender_batch_header: {
      sender_batch_id: input.payoutId,
      recipient_type: 'EMAIL',
      email_subject: 'You have a payout',
    },
    items: [
      {
        recipient_type: 'EMAIL',
        amount: { value: toDecimalString(input.amount, input.asset), currency: input.asset },
        receiver: input.destination,
        sender_item_id: input.payoutId,
      },
    ],
  });
  try {
    const made = await rest.request<PayoutBatch>('POST', '/v1/payments/payouts', { body, requestId: input.payoutId });
    const batchId = made.batch_header?.payout_batch_id;
    if (batchId === undefined) throw new ProviderUnavailableError('PayPal gave no payout batch id');
    return { providerRef: batchId, status: payoutStatusOfBatch(made) };
  } catch (error) {
    const firstBatch = error instanceof PayPalRestError ? duplicateBatchId(error) : undefined;
    if (firstBatch === undefined) throw translate(error);
    const batch = await call(() =>
      rest.request<PayoutBatch>('GET', `/v1/payments/payouts/${encodeURIComponent(firstBatch)}`),
    );
    return { providerRef: firstBatch, status: payoutStatusOfBatch(batch) };
  }
}

function orderRequest(input: CreateDepositInput, brandName: string) {
  const returnUrl = input.returnUrl.replaceAll('{id}', encodeURIComponent(input.depositId));
  return {
    intent: CheckoutPaymentIntent.Capture,
    purchaseUnits: [
      {
        referenceId: 'deposit',
        customId: input.depositId,
        invoiceId: input.depositId,
        description: 'Wallet deposit',
        amount: { currencyCode: input.asset, value: toDecimalString(input.amount, input.asset) },
      },
    ],
    paymentSource: {
      paypal: {
        experienceContext: {
          returnUrl,
          cancelUrl: returnUrl,
          brandName,
          userAction: PaypalExperienceUserAction.PayNow,
        },
      },
    },
  };
}

export function createPayPalProvider(options: PayPalProviderOptions): PaymentProvider {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const client = new Client({
    clientCredentialsAuthCredentials: { oAuthClientId: options.clientId, oAuthClientSecret: options.clientSecret },
    environment: options.apiUrl.includes('api-m.paypal.com') ? Environment.Production : Environment.Sandbox,
    timeout: timeoutMs,
    ...(isOfficialPayPalUrl(options.apiUrl)
      ? {}
      : { unstable_httpClientOptions: { adapter: rebasingAdapter(options.apiUrl) } }),
  });
  const orders = new OrdersController(client);
  const rest = createPayPalRest({
    apiUrl: options.apiUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    timeoutMs,
  });

  async function capture(orderId: string, depositId: string): Promise<ProviderDepositStatus> {
    try {
      const { result } = await orders.captureOrder({
        id: orderId,
        paypalRequestId: `capture-${depositId}`,
        prefer: 'return=representation',
      });
      return depositStatusOfOrder(result);
    } catch (error) {
      const issue = error instanceof ApiError && error.statusCode === 422 ? issueOf(error) : undefined;
      if (issue !== undefined && declinedIssues.has(issue))
        return { status: 'failed', reason: 'PayPal declined the payment method' };
      if (issue === 'ORDER_ALREADY_CAPTURED')
        return depositStatusOfOrder((await call(() => orders.getOrder({ id: orderId }))).result);
      throw translate(error);
    }
  }

  return {
    name: 'paypal',
    async createDeposit(input) {
      if (input.depositId.length > maxDepositIdLength)
        throw new ProviderRefusedError(
          `a PayPal deposit id has at most ${maxDepositIdLength} characters`,
          'invalid_id',
        );
      const { result } = await call(() =>
        orders.createOrder({
          body: orderRequest(input, options.brandName ?? 'Transactions50'),
          paypalRequestId: input.depositId,
          prefer: 'return=representation',
        }),
      );
      const link = result.links?.find((candidate) => candidate.rel === 'payer-action' || candidate.rel === 'approve');
      if (result.id === undefined || link === undefined)
        throw new ProviderUnavailableError('PayPal gave no order id or approval link');
      // PayPal keeps an unpaid order for a while; our expiry stands, and the reconciler ends it.
      return { providerRef: result.id, redirectUrl: link.href, expiresAt: input.expiresAt };
    },
    async getDeposit(ref) {
      const orderId = ref.providerRef;
      if (orderId === undefined)
        throw new ProviderRefusedError('a PayPal deposit is found by its order id', 'not_found');
      const { result } = await call(() => orders.getOrder({ id: orderId }));
      return result.status === OrderStatus.Approved ? capture(orderId, ref.id) : depositStatusOfOrder(result);
    },
    createPayout: (input) => createPayout(rest, input),
    async getPayout(ref) {
      // Without the batch id there is nothing to look up: PayPal refuses a second batch with the
      // same sender_batch_id and links the first, so creating again is safe and finds it.
      if (ref.providerRef === undefined) return { status: 'not_found' };
      try {
        return payoutStatusOfBatch(
          await rest.request<PayoutBatch>('GET', `/v1/payments/payouts/${encodeURIComponent(ref.providerRef)}`),
        );
      } catch (error) {
        const translated = translate(error);
        if (translated instanceof ProviderRefusedError && translated.code === 'not_found')
          return { status: 'not_found' };
        throw translated;
      }
    },
    verifyAndParseWebhook: (request) => verifyPayPalWebhook(rest, options.webhookId, request),
  };
}

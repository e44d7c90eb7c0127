/**
 * PayPal webhooks: verified by PayPal's own verify-webhook-signature call
 * (after our check that the transmission time is within five minutes), then
 * read as a ProviderEvent.
 */
import type { FiatAsset } from '@t50/contracts';
import { fromDecimalString } from '../money';
import { WebhookVerificationError, type ProviderEvent, type WebhookRequest } from '../port';
import type { PayPalRest } from './rest';

export const webhookToleranceSeconds = 300;

const transmissionHeaders = [
  'paypal-transmission-id',
  'paypal-transmission-time',
  'paypal-transmission-sig',
  'paypal-cert-url',
  'paypal-auth-algo',
] as const;

interface PayPalEvent {
  readonly id?: unknown;
  readonly event_type?: unknown;
  readonly resource?: Record<string, unknown>;
}

const failedCapture = new Set(['PAYMENT.CAPTURE.DECLINED', 'PAYMENT.CAPTURE.DENIED']);
const failedPayoutItem = new Set([
  'PAYMENT.PAYOUTS-ITEM.FAILED',
  'PAYMENT.PAYOUTS-ITEM.RETURNED',
  'PAYMENT.PAYOUTS-ITEM.BLOCKED',
  'PAYMENT.PAYOUTS-ITEM.DENIED',
  'PAYMENT.PAYOUTS-ITEM.REFUNDED',
  'PAYMENT.PAYOUTS-ITEM.CANCELED',
]);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

function captureAmount(resource: Record<string, unknown>): { amount: bigint; asset: FiatAsset } {
  const amount = record(resource.amount);
  const asset = amount.currency_code;
  if ((asset !== 'USD' && asset !== 'EUR') || typeof amount.value !== 'string')
    throw new WebhookVerificationError('a capture without a USD or EUR amount');
  try {
    return { amount: fromDecimalString(amount.value, asset), asset };
  } catch {
    throw new WebhookVerificationError('a capture amount that is not a decimal');
  }
}

/** A verified PayPal event in our terms. */
export function toProviderEvent(event: PayPalEvent): ProviderEvent {
  const eventId = text(event.id);
  const type = text(event.event_type);
  if (eventId === undefined || type === undefined) throw new WebhookVerificationError('an event without id or type');
  const resource = record(event.resource);
  if (type.startsWith('PAYMENT.CAPTURE.') || type === 'CHECKOUT.ORDER.APPROVED') {
    const isOrder = type === 'CHECKOUT.ORDER.APPROVED';
    const orderId = isOrder
      ? text(resource.id)
      : text(record(record(resource.supplementary_data).related_ids).order_id);
    const unit = isOrder ? record((resource.purchase_units as unknown[] | undefined)?.[0]) : resource;
    const deposit = (status: Extract<ProviderEvent, { kind: 'deposit' }>['status']): ProviderEvent => ({
      eventId,
      kind: 'deposit',
      depositId: text(unit.custom_id) ?? text(unit.invoice_id),
      providerRef: orderId ?? text(resource.id) ?? '',
      status,
    });
    if (type === 'PAYMENT.CAPTURE.COMPLETED') return deposit({ status: 'succeeded', ...captureAmount(resource) });
    if (type === 'PAYMENT.CAPTURE.PENDING' || isOrder) return deposit({ status: 'processing' });
    if (failedCapture.has(type)) return deposit({ status: 'failed', reason: 'PayPal declined the payment' });
  }
  if (type === 'PAYMENT.PAYOUTS-ITEM.SUCCEEDED' || failedPayoutItem.has(type)) {
    return {
      eventId,
      kind: 'payout',
      payoutId: text(record(resource.payout_item).sender_item_id),
      providerRef: text(resource.payout_batch_id) ?? '',
      status:
        type === 'PAYMENT.PAYOUTS-ITEM.SUCCEEDED'
          ? { status: 'succeeded' }
          : { status: 'failed', reason: `PayPal: ${type.slice('PAYMENT.PAYOUTS-ITEM.'.length).toLowerCase()}` },
    };
  }
  return { eventId, kind: 'ignored', eventType: type };
}

export async function verifyPayPalWebhook(
  rest: PayPalRest,
  webhookId: string,
  request: WebhookRequest,
  nowMs = Date.now(),
): Promise<ProviderEvent> {
  const values = transmissionHeaders.map((name) => request.headers[name]);
  if (values.some((value) => value === undefined || value === '' || value.length > 2048))
    throw new WebhookVerificationError('PayPal transmission headers missing');
  const [transmissionId, transmissionTime, signature, certUrl, algorithm] = values as string[];
  const sentAt = Date.parse(transmissionTime!);
  if (Number.isNaN(sentAt) || Math.abs(nowMs - sentAt) > webhookToleranceSeconds * 1000)
    throw new WebhookVerificationError('PayPal transmission time outside the tolerance');
  const raw = request.rawBody.toString('utf8');
  let event: PayPalEvent;
  try {
    event = JSON.parse(raw) as PayPalEvent;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
  // The event goes back byte for byte as received (PayPal checks its signature over those bytes).
  const fields = JSON.stringify({
    auth_algo: algorithm,
    cert_url: certUrl,
    transmission_id: transmissionId,
    transmission_sig: signature,
    transmission_time: transmissionTime,
    webhook_id: webhookId,
  });
  const body = `${fields.slice(0, -1)},"webhook_event":${raw}}`;
  const answer = await rest
    .request<{ verification_status?: string }>('POST', '/v1/notifications/verify-webhook-signature', { body })
    .catch((error: unknown) => {
      if (error instanceof Error && error.name === 'PayPalRestError')
        throw new WebhookVerificationError(`PayPal refused to verify: ${error.message}`);
      throw error;
    });
  if (answer.verification_status !== 'SUCCESS')
    throw new WebhookVerificationError('PayPal says the signature does not verify');
  return toProviderEvent(event);
}

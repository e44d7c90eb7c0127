/** Verifies a sandbox webhook and reads it as a ProviderEvent. */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FiatAsset, PositiveAmount } from '@t50/contracts';
import { WebhookVerificationError, type ProviderEvent, type WebhookRequest } from '../port';
import { sandboxSignatureHeader, verifySandboxSignature } from './signing';

const EventBody = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  type: Type.String({ minLength: 1, maxLength: 64 }),
  created: Type.Integer(),
  data: Type.Object({
    object: Type.Union([Type.Literal('checkout'), Type.Literal('payout')]),
    id: Type.String({ minLength: 1, maxLength: 128 }),
    reference: Type.String({ minLength: 1, maxLength: 128 }),
    asset: FiatAsset,
    amount: PositiveAmount,
    reason: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  }),
});
type EventBody = Static<typeof EventBody>;

function toProviderEvent(event: EventBody): ProviderEvent {
  const { data } = event;
  const reason = data.reason ?? event.type;
  switch (event.type) {
    case 'checkout.succeeded':
      return {
        eventId: event.id,
        kind: 'deposit',
        depositId: data.reference,
        providerRef: data.id,
        status: { status: 'succeeded', amount: BigInt(data.amount), asset: data.asset },
      };
    case 'checkout.failed':
      return {
        eventId: event.id,
        kind: 'deposit',
        depositId: data.reference,
        providerRef: data.id,
        status: { status: 'failed', reason },
      };
    case 'checkout.expired':
      return {
        eventId: event.id,
        kind: 'deposit',
        depositId: data.reference,
        providerRef: data.id,
        status: { status: 'expired', reason },
      };
    case 'payout.paid':
      return {
        eventId: event.id,
        kind: 'payout',
        payoutId: data.reference,
        providerRef: data.id,
        status: { status: 'succeeded' },
      };
    case 'payout.failed':
      return {
        eventId: event.id,
        kind: 'payout',
        payoutId: data.reference,
        providerRef: data.id,
        status: { status: 'failed', reason },
      };
    default:
      return { eventId: event.id, kind: 'ignored', eventType: event.type };
  }
}

export function parseSandboxWebhook(
  request: WebhookRequest,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): ProviderEvent {
  verifySandboxSignature(request.rawBody, request.headers[sandboxSignatureHeader], secret, nowSeconds);
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
  if (!Value.Check(EventBody, body)) throw new WebhookVerificationError('the body is not a sandbox event');
  return toProviderEvent(body);
}

/**
 * The sandbox signs its webhooks the way Stripe does: a header
 * `sandbox-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * with a secret both sides know. The receiver checks the MAC over the raw bytes
 * in constant time and refuses a timestamp more than five minutes away.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from '../port';

export const sandboxSignatureHeader = 'sandbox-signature';
export const signatureToleranceSeconds = 300;

function mac(secret: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export function signSandboxPayload(body: Buffer | string, secret: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${mac(secret, timestampSeconds, body)}`;
}

/** Throws WebhookVerificationError unless `header` signs `rawBody` with `secret` within the tolerance. */
export function verifySandboxSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = signatureToleranceSeconds,
): void {
  if (header === undefined || header.length > 2048) throw new WebhookVerificationError('no signature header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0)
    throw new WebhookVerificationError('malformed signature header');
  const expected = Buffer.from(mac(secret, timestamp, rawBody), 'hex');
  if (!signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected)))
    throw new WebhookVerificationError('signature does not match');
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    throw new WebhookVerificationError('timestamp outside the tolerance');
}

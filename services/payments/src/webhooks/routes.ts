/**
 * POST /webhooks/:provider. The body is read as raw bytes, in a scope of its
 * own (the content-type parsers of the rest of the app are untouched): a
 * provider's signature covers the exact bytes it sent, so nothing may parse
 * or re-serialise them before the adapter checks it.
 */
import { Type } from '@sinclair/typebox';
import { HttpProblem, problemResponses, type HttpServer } from '@t50/kit';
import type { PaymentsDeps } from '../deps';
import { receiveWebhook } from './service';

/** Providers' events are small (Stripe's are a few KiB); a larger body is refused with 413. */
export const webhookBodyLimitBytes = 256 * 1024;

export async function registerWebhookRoutes(app: HttpServer, deps: PaymentsDeps): Promise<void> {
  await app.register((scope: HttpServer, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: webhookBodyLimitBytes }, (_request, body, next) => {
      next(null, body);
    });
    scope.post(
      '/webhooks/:provider',
      {
        schema: {
          summary: "A payment provider's event (Stripe, PayPal, the sandbox), signed by the provider",
          params: Type.Object({ provider: Type.String({ pattern: '^[a-z]{1,32}$' }) }),
          response: {
            200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }),
            ...problemResponses(400, 404, 413),
          },
        },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const outcome = await receiveWebhook(deps, request.params.provider, body, headers);
        if (outcome === 'unknown_provider')
          throw new HttpProblem(404, 'unknown_provider', 'No such payment provider here');
        if (outcome === 'rejected') {
          throw new HttpProblem(400, 'invalid_webhook', 'The webhook signature, timestamp or body does not check out');
        }
        return { received: true, duplicate: outcome === 'duplicate' };
      },
    );
    done();
  });
}

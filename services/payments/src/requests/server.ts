/**
 * `payments.requests` on the kit's request/reply building block: each request
 * is parsed here and handed to the request handler; its reply goes back to
 * the caller. A body that is not JSON is answered with a problem, not thrown.
 */
import { serveRequests, type Logger, type Subscription, type Transport } from '@t50/kit';
import { problemReply } from '../problems';
import type { PaymentsRequestHandler } from './handlers';

export function serveRequestQueue(
  transport: Transport,
  queue: string,
  handler: PaymentsRequestHandler,
  logger: Logger,
): Promise<Subscription> {
  return serveRequests(
    transport,
    queue,
    async (delivery) => {
      let request: unknown;
      try {
        request = JSON.parse(delivery.body.toString('utf8'));
      } catch {
        return problemReply('invalid_request', 'the request is not JSON');
      }
      return handler(request);
    },
    { logger },
  );
}

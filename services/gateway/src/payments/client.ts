/**
 * The payments service, asked over the kit's request/reply (`payments.requests`
 * on the broker). A reply is checked against the contract: a problem reply is
 * the payments service's refusal, answered to the user as it is; no reply in
 * time is `payments_unavailable`; a reply that breaks the contract is a
 * `DependencyError` (a 500 with the request id, logged once).
 */
import { randomUUID } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { paymentsRequestQueue, PaymentsReply, type PaymentsProblem, type PaymentsRequest } from '@t50/contracts';
import { createRpcClient, RequestFailedError, RequestTimeoutError, type Logger, type Transport } from '@t50/kit';
import { DependencyError } from '../clients/dependency-error';
import { fail, type Failure } from '../http/problems';
import { PaymentsError } from './errors';

const checkReply = TypeCompiler.Compile(PaymentsReply);

export type PaymentsAnswer = Exclude<PaymentsReply, { type: 'problem' }>;

/** What a request to payments comes back with. */
export type Asked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: Failure<PaymentsError> }
  /** The payments service refused: its problem document, passed on as is. */
  | { readonly ok: false; readonly refusal: PaymentsProblem };

/** A request's `data`, by its type. */
type DataOf<K extends PaymentsRequest['type']> = Extract<PaymentsRequest, { type: K }>['data'];

export interface PaymentsClient {
  ask<K extends PaymentsRequest['type'], R extends PaymentsAnswer['type']>(
    type: K,
    data: DataOf<K>,
    expected: R,
  ): Promise<Asked<Extract<PaymentsAnswer, { type: R }>>>;
  close(): Promise<void>;
}

export async function createPaymentsClient(options: {
  transport: Transport;
  logger: Logger;
  timeoutMs: number;
}): Promise<PaymentsClient> {
  const { logger, timeoutMs } = options;
  const rpc = await createRpcClient({ transport: options.transport, logger, name: 'gateway' });
  return {
    async ask(type, data, expected) {
      let body: unknown;
      try {
        body = await rpc.request(
          paymentsRequestQueue,
          { id: randomUUID(), type, version: 1, data } as PaymentsRequest,
          {
            timeoutMs,
          },
        );
      } catch (error) {
        if (error instanceof RequestTimeoutError || error instanceof RequestFailedError) {
          logger.warn({ err: error, request: type }, 'payments did not answer');
          return fail(PaymentsError.Unavailable);
        }
        throw error;
      }
      if (!checkReply.Check(body)) {
        const first = checkReply.Errors(body).First();
        throw new DependencyError(
          'payments',
          200,
          `a reply outside the contract (${first?.path ?? '/'}: ${first?.message ?? '?'})`,
        );
      }
      if (body.type === 'problem') return { ok: false, refusal: body.problem };
      if (body.type !== expected)
        throw new DependencyError('payments', 200, `answered ${type} with a ${body.type} reply, not ${expected}`);
      return { ok: true, value: body as Extract<PaymentsAnswer, { type: typeof expected }> };
    },
    close: () => rpc.close(),
  };
}

/**
 * The signed-in user's fiat deposits and payouts (tier Full: access/policy.ts),
 * done by the payments service over request/reply. Thin: validate, call one
 * use case (./service.ts), answer. The payments service's refusals (limits,
 * an unknown deposit, a reused Idempotency-Key) are answered as it wrote them.
 */
import { Type } from '@sinclair/typebox';
import {
  DepositView,
  FiatAsset,
  FiatProvider,
  Id,
  IdempotencyKey,
  PayoutView,
  PositiveAmount,
  Text,
} from '@t50/contracts';
import { HttpProblem, problemResponses, type HttpServer } from '@t50/kit';
import type { FastifyRequest } from 'fastify';
import { bearerSecurity, userOf } from '../access/policy';
import { toProblem } from '../http/problems';
import { NoQuery } from '../http/schemas';
import type { Asked } from './client';
import { paymentsProblems } from './errors';
import { createDeposit, createPayout, getDeposit, listPayments, listProviders, type PaymentsDeps } from './service';

const tags = ['payments'];

/** The web app's page a provider sends the user back to; the payments service puts the deposit id in. */
export const depositReturnPath = '/deposits/{id}';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': { ...IdempotencyKey, description: `${IdempotencyKey.description ?? ''}; required` },
});

const DepositBody = Type.Object(
  { provider: FiatProvider, asset: FiatAsset, amount: PositiveAmount },
  { additionalProperties: false },
);

const PayoutBody = Type.Object(
  {
    provider: FiatProvider,
    asset: FiatAsset,
    amount: PositiveAmount,
    destination: Text({
      minLength: 1,
      maxLength: 256,
      description: 'Stripe: a connected account id (acct_...); PayPal: the receiver’s email; sandbox: any label',
    }),
  },
  { additionalProperties: false },
);

const PaymentsListView = Type.Object({ deposits: Type.Array(DepositView), payouts: Type.Array(PayoutView) });

const ProvidersView = Type.Object({
  providers: Type.Array(FiatProvider, { description: 'The enabled providers, in the order to offer them' }),
});

/** The refusals the payments service may answer, and the gateway's own. */
const refusals = problemResponses(400, 401, 403, 404, 409, 422, 429, 503);

/** An answer's value, or its failure or refusal thrown as its problem document. */
function answer<T>(asked: Asked<T>): T {
  if (asked.ok) return asked.value;
  if ('refusal' in asked) {
    const { status, code, title, detail } = asked.refusal;
    throw new HttpProblem(status, code, title, detail);
  }
  throw toProblem(paymentsProblems, asked.failure);
}

const hostPattern = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/** The origin the user reached the gateway at: the configured public URL, else the request's own. */
function originOf(request: FastifyRequest, publicUrl: string): string {
  if (publicUrl !== '') return new URL(publicUrl).origin;
  if (!hostPattern.test(request.host))
    throw new HttpProblem(400, 'invalid_request', 'The request is not valid', 'The Host header is not a host name.');
  return `${request.protocol}://${request.host}`;
}

export function registerPaymentRoutes(app: HttpServer, deps: PaymentsDeps & { publicUrl: string }): void {
  app.post(
    '/deposits',
    {
      schema: {
        summary: 'Start a fiat deposit',
        description:
          'Creates a checkout at the provider; send the user to `redirectUrl` before `expiresAt`. The provider sends ' +
          'them back to the web app’s deposit page, which asks GET /v1/deposits/{id}?refresh=true. Tier Full. ' +
          'The same Idempotency-Key with the same body answers the same deposit; with another body, 409 ' +
          '`idempotency_key_reused`. Limits are the payments service’s (its problem is answered as is). ' +
          '503 `payments_unavailable` when the payments service does not answer in time.',
        tags,
        security: bearerSecurity,
        headers: IdempotencyHeaders,
        body: DepositBody,
        response: { 201: DepositView, ...refusals },
      },
    },
    async (request, reply) => {
      const returnUrl = `${originOf(request, deps.publicUrl)}${depositReturnPath}`;
      const { userId } = userOf(request).summary;
      const key = request.headers['idempotency-key'];
      const deposit = answer(await createDeposit(deps, userId, key, request.body, returnUrl));
      return reply.status(201).send(deposit);
    },
  );

  app.get(
    '/deposits/:depositId',
    {
      schema: {
        summary: 'One of my deposits',
        description:
          '`refresh=true` asks the provider now (the user just came back from checkout) instead of waiting for its ' +
          'webhook. Another user’s deposit is 404, as if it did not exist.',
        tags,
        security: bearerSecurity,
        params: Type.Object({ depositId: Id }, { additionalProperties: false }),
        querystring: Type.Object({ refresh: Type.Boolean({ default: false }) }, { additionalProperties: false }),
        response: { 200: DepositView, ...refusals },
      },
    },
    async (request) =>
      answer(await getDeposit(deps, userOf(request).summary.userId, request.params.depositId, request.query.refresh)),
  );

  app.post(
    '/payouts',
    {
      schema: {
        summary: 'Start a fiat withdrawal',
        description:
          'Checks my available balance first (422 `insufficient_funds`, nothing recorded); the payments service then ' +
          'asks the ledger to hold the amount and calls the provider. 202: follow `state` in GET /v1/payments. ' +
          'Tier Full. Idempotency-Key as for deposits; a retry with the same key is not checked against the balance ' +
          'again (its first attempt may hold the money already). 503 `payments_unavailable` when the payments service ' +
          'does not answer in time.',
        tags,
        security: bearerSecurity,
        headers: IdempotencyHeaders,
        body: PayoutBody,
        response: { 202: PayoutView, ...refusals },
      },
    },
    async (request, reply) => {
      const { userId } = userOf(request).summary;
      const key = request.headers['idempotency-key'];
      const payout = answer(await createPayout(deps, userId, key, request.body));
      return reply.status(202).send(payout);
    },
  );

  app.get(
    '/payments',
    {
      schema: {
        summary: 'My latest deposits and payouts',
        description: 'Newest first, at most `limit` of each. Tier Full.',
        tags,
        security: bearerSecurity,
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
          { additionalProperties: false },
        ),
        response: { 200: PaymentsListView, ...refusals },
      },
    },
    async (request) => answer(await listPayments(deps, userOf(request).summary.userId, request.query.limit)),
  );

  app.get(
    '/payments/providers',
    {
      schema: {
        summary: 'The payment providers enabled here',
        description:
          'The providers a deposit or payout may name, in the order to offer them; any other is refused with ' +
          '422 `provider_not_enabled`. Tier Full.',
        tags,
        security: bearerSecurity,
        querystring: NoQuery,
        response: { 200: ProvidersView, ...problemResponses(400, 401, 403, 429, 503) },
      },
    },
    async () => ({ providers: answer(await listProviders(deps)) }),
  );
}

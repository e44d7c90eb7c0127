/**
 * The signed-in user's money routes. The user id always comes from the access
 * token; no route takes a user id or an account id.
 */
import { Type } from '@sinclair/typebox';
import { PositiveAmount } from '@t50/contracts';
import { problemResponses, type HttpServer } from '@t50/kit';
import { bearerSecurity, userOf } from '../access/policy';
import { valueOr } from '../http/problems';
import { Email, NoQuery } from '../http/schemas';
import { moneyProblems } from './errors';
import type { MoneyService } from './service';

const tags = ['money'];
const Asset = Type.Union([Type.Literal('USD'), Type.Literal('EUR'), Type.Literal('ETH')], {
  description: 'USD and EUR in cents, ETH in wei',
});

const BalanceView = Type.Object({
  asset: Type.String(),
  balance: Type.String({ description: 'Posted balance, minor units' }),
  available: Type.String({ description: 'Balance minus holds, minor units' }),
  pendingDebits: Type.String(),
  pendingCredits: Type.String(),
});

const HistoryEntryView = Type.Object({
  seq: Type.String(),
  transferId: Type.String(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  asset: Type.String(),
  amount: Type.String(),
  balanceAfter: Type.String(),
  code: Type.String(),
  effectiveAt: Type.String(),
  recordedAt: Type.String(),
});

const TransferView = Type.Object({
  transferId: Type.String(),
  code: Type.String(),
  state: Type.String(),
  effectiveAt: Type.String(),
  recordedAt: Type.String(),
  legs: Type.Array(
    Type.Object({
      asset: Type.String(),
      amount: Type.String(),
      direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    }),
  ),
});

const SendBody = Type.Object(
  {
    toEmail: Email,
    asset: Asset,
    amount: PositiveAmount,
    sendId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Your id for this send: retrying with the same id never sends twice',
      }),
    ),
  },
  { additionalProperties: false },
);

const SendView = Type.Object({
  sendId: Type.String(),
  transferId: Type.String(),
  asset: Type.String(),
  amount: Type.String(),
  state: Type.String(),
  recordedAt: Type.String(),
  duplicate: Type.Boolean({
    description: 'True when this send id was already sent: nothing moved twice, and the answer is the recorded send',
  }),
});

export function registerMoneyRoutes(app: HttpServer, deps: { money: MoneyService }): void {
  const { money } = deps;

  app.get(
    '/accounts',
    {
      schema: {
        summary: 'My balances',
        tags,
        security: bearerSecurity,
        querystring: NoQuery,
        response: { 200: Type.Object({ balances: Type.Array(BalanceView) }), ...problemResponses(400, 401, 429) },
      },
    },
    async (request) => ({ balances: await money.balances(userOf(request).summary.userId) }),
  );

  app.get(
    '/accounts/:asset/history',
    {
      schema: {
        summary: 'My history in one asset',
        description:
          'Newest first; pass nextCursor as cursor for the next page. Filter by transfer code and recorded time.',
        tags,
        security: bearerSecurity,
        params: Type.Object({ asset: Asset }, { additionalProperties: false }),
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            cursor: Type.Optional(
              Type.String({
                pattern: '^[0-9]{1,18}$',
                description: 'nextCursor of the previous page (1 to 18 digits)',
              }),
            ),
            code: Type.Optional(
              Type.Union(
                ['deposit', 'withdrawal', 'trade', 'send', 'fee', 'reversal', 'adjustment'].map((code) =>
                  Type.Literal(code),
                ),
              ),
            ),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            entries: Type.Array(HistoryEntryView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400, 401, 429),
        },
      },
    },
    async (request) => money.history(userOf(request).summary.userId, request.params.asset, request.query),
  );

  app.get(
    '/transfers/:transferId',
    {
      schema: {
        summary: 'One of my transfers',
        description: 'Only the legs that touch my accounts. Another user’s transfer is 404, as if it did not exist.',
        tags,
        security: bearerSecurity,
        params: Type.Object(
          { transferId: Type.String({ pattern: '^[A-Za-z0-9:._@-]{1,128}$' }) },
          { additionalProperties: false },
        ),
        response: { 200: TransferView, ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request, reply) =>
      valueOr(await money.transfer(userOf(request).summary.userId, request.params.transferId), moneyProblems, reply),
  );

  app.post(
    '/sends',
    {
      schema: {
        summary: 'Send money to another user by email',
        description:
          'One ledger transfer from my account to theirs, in the same asset. ETH from tier Basic; USD and EUR only from tier Full ' +
          '(403 tier_too_low). The same rule holds for the recipient: 422 recipient_tier_too_low when their tier cannot hold ' +
          'the asset, and nothing moves. 422 insufficient_funds when my available balance is short. The same sendId again ' +
          'answers the recorded send (200, duplicate: true); the same sendId with another recipient, asset or amount is ' +
          '409 conflict.',
        tags,
        security: bearerSecurity,
        body: SendBody,
        response: { 200: SendView, 201: SendView, ...problemResponses(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const sent = valueOr(await money.send(userOf(request).summary, request.body), moneyProblems, reply);
      return reply.status(sent.duplicate ? 200 : 201).send(sent);
    },
  );
}

/**
 * The HTTP API: reads for services holding an API key, a command endpoint with
 * the queue's semantics, and verify. Routes are thin: they validate (schemas),
 * call the ledger and map outcomes to responses.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import {
  AccountView,
  CreateTransferCommand,
  EntryView,
  OpenAccountCommand,
  PostTransferCommand,
  TransferView,
  VoidTransferCommand,
} from '@t50/contracts';
import { HttpProblem, ProblemDocumentSchema, type Database, type HttpServer } from '@t50/kit';
import type { ItemResult } from '../ledger/engine';
import type { StoredOutcome } from '../ledger/model';
import { accountView, transferView } from '../ledger/events';
import { rejectionProblem } from '../ledger/rejections';
import { accountsOfOwner, balanceAt, entriesOf, findAccount, findTransfer } from '../ledger/reads';
import type { Parsed } from '../messages/parse';
import { formatReport, verifyLedger } from '../verify/verify';

/**
 * A page cursor is an entry's sequence number (a PostgreSQL bigint, at most
 * 9223372036854775807): 1 to 18 digits always fit, so a longer one is a 400
 * here and never an out-of-range error in the database.
 */
export const cursorPattern = '^[0-9]{1,18}$';

const hashKey = (key: string) => createHash('sha256').update(key).digest();

// The kit's problem document: with the `errors` of a 400, which a narrower schema would drop from the answer.
const Problem = ProblemDocumentSchema;
const security = [{ apiKey: [] }];

const CommandOutcome = Type.Object({
  status: Type.Literal('applied'),
  duplicate: Type.Boolean(),
  transfer: Type.Optional(TransferView),
  accounts: Type.Optional(Type.Array(AccountView)),
});

/**
 * Parses a command and has the writer of its partition apply it; resolves
 * after the commit with the writer's result (in process), the recorded outcome
 * (through the queue; `again` when the envelope id was seen before), or
 * `pending` when the outcome did not come in time.
 */
export type SubmitCommand = (
  value: unknown,
  raw: { correlationId: string },
) => Promise<
  | Exclude<Parsed, { ok: true }>
  | { readonly ok: true; readonly result: ItemResult }
  | { readonly ok: true; readonly stored: StoredOutcome; readonly again?: boolean }
  | { readonly ok: true; readonly pending: string }
>;

export function registerRoutes(
  app: HttpServer,
  deps: { db: Database; submit: SubmitCommand; apiKeys: readonly string[] },
): void {
  requireApiKey(app, deps.apiKeys);
  registerAccountRoutes(app, deps.db);
  registerTransferRoutes(app, deps);
  registerVerifyRoute(app, deps.db);
}

/** Every /v1 route needs one of the configured API keys, compared in constant time. */
function requireApiKey(app: HttpServer, apiKeys: readonly string[]): void {
  const keyHashes = apiKeys.map(hashKey);
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.startsWith('/v1/')) return done();
    const given = request.headers['x-api-key'];
    const hash = typeof given === 'string' ? hashKey(given) : undefined;
    // Compare against every key, in constant time, so timing reveals nothing.
    let allowed = false;
    for (const known of keyHashes) if (hash !== undefined && timingSafeEqual(known, hash)) allowed = true;
    if (!allowed)
      return done(
        new HttpProblem(401, 'unauthorized', 'A valid API key is required', 'send it in the x-api-key header'),
      );
    done();
  });
}

/** An account, an owner's accounts, a balance at a time, an account's entries. */
function registerAccountRoutes(app: HttpServer, db: Database): void {
  app.get(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        security,
        params: Type.Object({ accountId: Type.String({ maxLength: 128 }) }),
        response: { 200: AccountView, 404: Problem },
      },
    },
    async (request) => {
      const account = await findAccount(db, request.params.accountId);
      if (account === undefined)
        throw new HttpProblem(404, 'account_not_found', 'Account not found', `no account ${request.params.accountId}`);
      return account;
    },
  );

  app.get(
    '/v1/owners/:ownerId/accounts',
    {
      schema: {
        tags: ['accounts'],
        security,
        params: Type.Object({ ownerId: Type.String({ maxLength: 128 }) }),
        response: { 200: Type.Object({ accounts: Type.Array(AccountView) }) },
      },
    },
    async (request) => ({ accounts: await accountsOfOwner(db, request.params.ownerId) }),
  );

  app.get(
    '/v1/accounts/:accountId/balance',
    {
      schema: {
        tags: ['accounts'],
        security,
        description: 'The posted balance at a recorded time (default: now)',
        params: Type.Object({ accountId: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({ at: Type.Optional(Type.String({ format: 'date-time' })) }),
        response: {
          200: Type.Object({
            accountId: Type.String(),
            asset: Type.String(),
            at: Type.String(),
            balance: Type.String(),
          }),
          404: Problem,
        },
      },
    },
    async (request) => {
      const account = await findAccount(db, request.params.accountId);
      if (account === undefined)
        throw new HttpProblem(404, 'account_not_found', 'Account not found', `no account ${request.params.accountId}`);
      const at = request.query.at === undefined ? new Date() : new Date(request.query.at);
      return {
        accountId: account.accountId,
        asset: account.asset,
        at: at.toISOString(),
        balance: await balanceAt(db, account.accountId, at),
      };
    },
  );

  app.get(
    '/v1/accounts/:accountId/entries',
    {
      schema: {
        tags: ['accounts'],
        security,
        description: 'Entries newest first, cursor-paginated; time range on recorded time',
        params: Type.Object({ accountId: Type.String({ maxLength: 128 }) }),
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          cursor: Type.Optional(
            Type.String({
              pattern: cursorPattern,
              description: 'nextCursor of the previous page: an entry sequence number, 1 to 18 digits',
            }),
          ),
          asset: Type.Optional(Type.String({ maxLength: 10 })),
          code: Type.Optional(Type.String({ maxLength: 32 })),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          metadataKey: Type.Optional(Type.String({ maxLength: 64 })),
          metadataValue: Type.Optional(Type.String({ maxLength: 256 })),
        }),
        response: {
          200: Type.Object({ entries: Type.Array(EntryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          404: Problem,
        },
      },
    },
    async (request) => {
      const account = await findAccount(db, request.params.accountId);
      if (account === undefined)
        throw new HttpProblem(404, 'account_not_found', 'Account not found', `no account ${request.params.accountId}`);
      const q = request.query;
      if ((q.metadataKey === undefined) !== (q.metadataValue === undefined)) {
        throw new HttpProblem(
          400,
          'invalid_request',
          'The request is not valid',
          'metadataKey and metadataValue go together',
        );
      }
      const entries = await entriesOf(db, account.accountId, {
        limit: q.limit,
        before: q.cursor,
        asset: q.asset,
        code: q.code,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        metadataKey: q.metadataKey,
        metadataValue: q.metadataValue,
      });
      return { entries, nextCursor: entries.length === q.limit ? entries[entries.length - 1]!.seq : null };
    },
  );
}

/** A transfer, and the command endpoint with the queue's semantics. */
function registerTransferRoutes(app: HttpServer, deps: { db: Database; submit: SubmitCommand }): void {
  const { db, submit } = deps;
  app.get(
    '/v1/transfers/:transferId',
    {
      schema: {
        tags: ['transfers'],
        security,
        params: Type.Object({ transferId: Type.String({ maxLength: 128 }) }),
        response: { 200: TransferView, 404: Problem },
      },
    },
    async (request) => {
      const transfer = await findTransfer(db, request.params.transferId);
      if (transfer === undefined)
        throw new HttpProblem(
          404,
          'transfer_not_found',
          'Transfer not found',
          `no transfer ${request.params.transferId}`,
        );
      return transfer;
    },
  );

  app.post(
    '/v1/commands',
    {
      schema: {
        tags: ['commands'],
        security,
        description:
          "The same commands as the ledger's queue, applied by the writer of the partition that owns their accounts and answered when committed. The envelope id is the idempotency key.",
        body: Type.Union([OpenAccountCommand, CreateTransferCommand, PostTransferCommand, VoidTransferCommand]),
        response: { 200: CommandOutcome, 400: Problem, 404: Problem, 409: Problem, 422: Problem, 504: Problem },
      },
    },
    async (request) => {
      const submitted = await submit(request.body, { correlationId: request.id });
      if (!submitted.ok) throw new HttpProblem(400, 'invalid_request', 'The request is not valid', submitted.reason);
      if ('pending' in submitted) {
        throw new HttpProblem(
          504,
          'command_pending',
          'The command is queued but its outcome did not arrive in time',
          `send the same envelope (id ${submitted.pending}) again to get its outcome`,
        );
      }
      if ('stored' in submitted) {
        const { stored, again } = submitted;
        return answerStored(db, stored, again === true || (stored.status === 'applied' && stored.duplicate === true));
      }
      return answer(db, submitted.result);
    },
  );
}

/** Proves the books, on demand. */
function registerVerifyRoute(app: HttpServer, db: Database): void {
  app.get(
    '/v1/verify',
    {
      schema: {
        tags: ['operations'],
        security,
        description: 'Proves the books balance and history is intact; 200 when it does, 500 with the report when not',
      },
    },
    async (_request, reply) => {
      const report = await verifyLedger(db);
      return reply.status(report.ok ? 200 : 500).send({ ...report, text: formatReport(report) });
    },
  );
}

async function answer(db: Database, result: ItemResult) {
  switch (result.status) {
    case 'applied':
      return {
        status: 'applied' as const,
        duplicate: result.duplicate,
        ...(result.transfer === undefined ? {} : { transfer: transferView(result.transfer) }),
        ...(result.accounts === undefined ? {} : { accounts: result.accounts.map(accountView) }),
      };
    case 'rejected':
      throw rejectionProblem(result.code, result.detail);
    case 'ignored':
      throw new HttpProblem(409, 'conflict', 'Nothing to do', result.detail);
    case 'redelivered':
      if (!result.sameContent) {
        throw new HttpProblem(
          409,
          'conflict',
          'This envelope id was used for another command',
          'the envelope id is the idempotency key: send a new command with a new id',
        );
      }
      // The same envelope again: answer what the first one got.
      return answerStored(db, result.stored, true);
  }
}

/** The answer for a recorded outcome (a redelivery, or a command applied through the queue). */
async function answerStored(db: Database, stored: StoredOutcome, duplicate: boolean) {
  if (stored.status === 'rejected') {
    throw rejectionProblem(stored.code, stored.detail);
  }
  if (stored.status === 'ignored') throw new HttpProblem(409, 'conflict', 'Nothing to do', stored.detail);
  const transfer = stored.transferId === undefined ? undefined : await findTransfer(db, stored.transferId);
  const accounts = [];
  for (const id of stored.accountIds ?? []) {
    const account = await findAccount(db, id);
    if (account !== undefined) accounts.push(account);
  }
  return {
    status: 'applied' as const,
    duplicate,
    ...(transfer === undefined ? {} : { transfer }),
    ...(stored.accountIds === undefined ? {} : { accounts }),
  };
}

/**
 * The ledger's HTTP API, as the gateway uses it: a user's accounts, the entries
 * of one account, one transfer, and transfer creation (POST /v1/commands, the
 * envelope id being the idempotency key). Anything unexpected throws a
 * DependencyError.
 */
import type { AccountView, TransferRequest, TransferView } from '@t50/contracts';
import { createJsonCaller, DependencyError, problemCode } from './http-json';

export interface EntryView {
  readonly seq: string;
  readonly transferId: string;
  readonly legIndex: number;
  readonly accountId: string;
  readonly side: 'debit' | 'credit';
  readonly asset: string;
  readonly amount: string;
  readonly balanceAfter: string;
  readonly code: string;
  readonly effectiveAt: string;
  readonly recordedAt: string;
}

export interface EntriesQuery {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly code?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export type CreateTransferOutcome =
  | { readonly ok: true; readonly transfer: TransferView; readonly duplicate: boolean }
  | {
      readonly ok: false; /** A RejectionCode, or another problem code of the ledger. */
      readonly code: string;
      readonly detail: string;
    };

export interface TransactionsClient {
  accountsOf(ownerId: string): Promise<AccountView[]>;
  /** Undefined when the account does not exist. */
  entries(
    accountId: string,
    query: EntriesQuery,
  ): Promise<{ entries: EntryView[]; nextCursor: string | null } | undefined>;
  transfer(transferId: string): Promise<TransferView | undefined>;
  createTransfer(envelopeId: string, request: TransferRequest): Promise<CreateTransferOutcome>;
  ping(): Promise<boolean>;
}

export function createTransactionsClient(options: {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): TransactionsClient {
  const caller = createJsonCaller(options);
  const unexpected = (status: number, body: unknown) =>
    new DependencyError('transactions', status, problemCode(body) ?? 'unexpected answer');
  return {
    async accountsOf(ownerId) {
      const reply = await caller.call('GET', `/v1/owners/${encodeURIComponent(ownerId)}/accounts`);
      if (reply.status !== 200) throw unexpected(reply.status, reply.body);
      return (reply.body as { accounts: AccountView[] }).accounts;
    },
    async entries(accountId, query) {
      const search = new URLSearchParams({ limit: String(query.limit) });
      for (const name of ['cursor', 'code', 'from', 'to'] as const) {
        const value = query[name];
        if (value !== undefined) search.set(name, value);
      }
      const reply = await caller.call(
        'GET',
        `/v1/accounts/${encodeURIComponent(accountId)}/entries?${search.toString()}`,
      );
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw unexpected(reply.status, reply.body);
      return reply.body as { entries: EntryView[]; nextCursor: string | null };
    },
    async transfer(transferId) {
      const reply = await caller.call('GET', `/v1/transfers/${encodeURIComponent(transferId)}`);
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) throw unexpected(reply.status, reply.body);
      return reply.body as TransferView;
    },
    async createTransfer(envelopeId, request) {
      const reply = await caller.call('POST', '/v1/commands', {
        body: { id: envelopeId, type: 'ledger.transfer.create', version: 1, data: request },
      });
      if (reply.status === 200) {
        const body = reply.body as { duplicate: boolean; transfer?: TransferView };
        if (body.transfer === undefined) throw unexpected(reply.status, reply.body);
        return { ok: true, transfer: body.transfer, duplicate: body.duplicate };
      }
      if (reply.status === 404 || reply.status === 409 || reply.status === 422) {
        const detail = (reply.body as { detail?: unknown }).detail;
        return {
          ok: false,
          code: problemCode(reply.body) ?? 'unknown',
          detail: typeof detail === 'string' ? detail : '',
        };
      }
      throw unexpected(reply.status, reply.body);
    },
    async ping() {
      try {
        const reply = await caller.call('GET', '/health/ready');
        return reply.status === 200;
      } catch {
        return false;
      }
    },
  };
}

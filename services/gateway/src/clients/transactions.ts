/**
 * The ledger's HTTP API, as the gateway uses it, through a client generated
 * from the ledger's OpenAPI (docs/openapi/transactions.json): a user's
 * accounts, the entries of one account, one transfer, and transfer creation
 * (POST /v1/commands, the envelope id being the idempotency key). Anything
 * unexpected throws a DependencyError.
 */
import type { paths } from '@t50/contracts/openapi/transactions';
import { createServiceClient, problemCode, serviceIsReady } from '@t50/kit';
import { DependencyError } from './dependency-error';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type AccountView = Json<paths['/v1/owners/{ownerId}/accounts']['get']['responses'][200]>['accounts'][number];
export type EntriesPage = Json<paths['/v1/accounts/{accountId}/entries']['get']['responses'][200]>;
export type EntryView = EntriesPage['entries'][number];
export type TransferView = Json<paths['/v1/transfers/{transferId}']['get']['responses'][200]>;
type CommandBody = NonNullable<paths['/v1/commands']['post']['requestBody']>['content']['application/json'];
/** The `data` of a ledger.transfer.create command. */
export type TransferRequest = Extract<CommandBody, { type: 'ledger.transfer.create' }>['data'];
export type EntriesQuery = Pick<
  paths['/v1/accounts/{accountId}/entries']['get']['parameters']['query'],
  'limit' | 'cursor' | 'code' | 'from' | 'to'
>;

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
  entries(accountId: string, query: EntriesQuery): Promise<EntriesPage | undefined>;
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
  const client = createServiceClient<paths>(options);
  const unexpected = (status: number, body: unknown) =>
    new DependencyError('transactions', status, problemCode(body) ?? 'unexpected answer');
  return {
    async accountsOf(ownerId) {
      const { data, error, response } = await client.GET('/v1/owners/{ownerId}/accounts', {
        params: { path: { ownerId } },
      });
      if (data === undefined) throw unexpected(response.status, error);
      return data.accounts;
    },
    async entries(accountId, query) {
      const { data, error, response } = await client.GET('/v1/accounts/{accountId}/entries', {
        params: { path: { accountId }, query },
      });
      if (response.status === 404) return undefined;
      if (data === undefined) throw unexpected(response.status, error);
      return data;
    },
    async transfer(transferId) {
      const { data, error, response } = await client.GET('/v1/transfers/{transferId}', {
        params: { path: { transferId } },
      });
      if (response.status === 404) return undefined;
      if (data === undefined) throw unexpected(response.status, error);
      return data;
    },
    async createTransfer(envelopeId, request) {
      const { data, error, response } = await client.POST('/v1/commands', {
        body: { id: envelopeId, type: 'ledger.transfer.create', version: 1, data: request },
      });
      if (data !== undefined) {
        if (data.transfer === undefined) throw unexpected(response.status, data);
        return { ok: true, transfer: data.transfer, duplicate: data.duplicate };
      }
      if (response.status === 404 || response.status === 409 || response.status === 422) {
        const detail = (error as { detail?: unknown } | undefined)?.detail;
        return { ok: false, code: problemCode(error) ?? 'unknown', detail: typeof detail === 'string' ? detail : '' };
      }
      throw unexpected(response.status, error);
    },
    ping: () => serviceIsReady(options.baseUrl, options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
}

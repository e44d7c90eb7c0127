/**
 * The requests the gateway sends on `payments.requests`, as one plain
 * function: a request in (anything: it is validated here), a reply out.
 * Expected refusals are `problem` replies; only unexpected failures throw.
 */
import { PaymentsRequest, type ListPaymentsRequest, type PaymentsReply } from '@t50/contracts';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Static } from '@sinclair/typebox';
import { createDeposit, getDeposit } from '../deposits/service';
import type { PaymentsDeps } from '../deps';
import { createPayout } from '../payouts/service';
import { problemReply } from '../problems';
import {
  depositColumns,
  depositView,
  payoutColumns,
  payoutFrom,
  payoutView,
  type DepositRow,
  type PayoutRow,
} from '../views';

const checkRequest = TypeCompiler.Compile(PaymentsRequest);

export type PaymentsRequestHandler = (request: unknown) => Promise<PaymentsReply>;

/** The first schema errors, by path, for the problem's detail (never the values). */
function describeErrors(request: unknown): string {
  const paths = new Set<string>();
  for (const error of checkRequest.Errors(request)) {
    paths.add(`${error.path || '/'}: ${error.message}`);
    if (paths.size >= 5) break;
  }
  return [...paths].join('; ');
}

export function createRequestHandler(deps: PaymentsDeps): PaymentsRequestHandler {
  return async (request) => {
    if (!checkRequest.Check(request)) return problemReply('invalid_request', describeErrors(request));
    switch (request.type) {
      case 'payments.deposit.create':
        return createDeposit(deps, request);
      case 'payments.deposit.get':
        return getDeposit(deps, request);
      case 'payments.payout.create':
        return createPayout(deps, request);
      case 'payments.list':
        return listPayments(deps, request);
      case 'payments.providers':
        return { type: 'providers', providers: [...deps.providers.keys()] };
    }
  };
}

async function listPayments(deps: PaymentsDeps, request: Static<typeof ListPaymentsRequest>): Promise<PaymentsReply> {
  const { userId, limit } = request.data;
  const deposits = await deps.db.query<DepositRow>(
    `select ${depositColumns} from deposits where user_id = $1 order by created_at desc, id limit $2`,
    [userId, limit],
  );
  const payouts = await deps.db.query<PayoutRow>(
    `select ${payoutColumns} from ${payoutFrom} where p.user_id = $1 order by p.created_at desc, p.id limit $2`,
    [userId, limit],
  );
  return { type: 'list', deposits: deposits.map(depositView), payouts: payouts.map(payoutView) };
}

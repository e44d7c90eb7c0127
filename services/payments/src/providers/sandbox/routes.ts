/**
 * The sandbox's HTTP routes, mounted by the payments service under /sandbox:
 * the checkout pages a user pays on, and (only when the sandbox is built with
 * `testControl: true`) a small control API for tests.
 *
 * A checkout's id is 128 random bits: its URL is the capability to pay it,
 * as a real provider's checkout URL is. Forms post back to relative URLs, so
 * the pages work behind a path prefix too.
 */
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '@t50/kit';
import type { FastifyReply } from 'fastify';
import { confirmCheckout, depositStatusOf, payCheckout, type CheckoutDeps } from './checkout';
import { cardPage, checkoutPath, confirmPage, finalPage, notFoundPage, pagePolicy, returnUrlOf } from './pages';
import type { SandboxFaults } from './sender';
import { findCheckout, type CheckoutRow } from './store';

export interface SandboxRoutesDeps extends CheckoutDeps {
  readonly faults: SandboxFaults;
  /** The path of the service's public URL ('' at the root): the pages' links start with it. */
  readonly basePath: string;
  /** Registers the test control API; never true in a production config. */
  readonly testControl: boolean;
  /** Runs the webhook sender once now (test control). */
  readonly deliverNow: () => Promise<void>;
  /** Expires a deposit's checkout now (test control). */
  readonly expireNow: (depositId: string) => Promise<boolean>;
}

const CheckoutParams = Type.Object({ id: Type.String({ pattern: '^sbx_cs_[0-9a-f]{32}$' }) });

function html(reply: FastifyReply, status: number, body: string, returnUrl?: string): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', pagePolicy(returnUrl))
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(body);
}

function statusText(checkout: CheckoutRow): string {
  const status = depositStatusOf(checkout);
  switch (status.status) {
    case 'open':
      return 'Waiting for payment';
    case 'processing':
      return 'Paid: the payment is being processed';
    case 'succeeded':
      return 'Paid';
    case 'failed':
      return `Payment failed: ${status.reason}`;
    case 'expired':
      return `Checkout expired: ${status.reason}`;
  }
}

function showCheckout(
  basePath: string,
  reply: FastifyReply,
  checkout: CheckoutRow | undefined,
  status = 200,
): FastifyReply {
  if (checkout === undefined) return html(reply, 404, notFoundPage());
  const open = depositStatusOf(checkout).status === 'open';
  if (open && checkout.status === 'open') return html(reply, status, cardPage(basePath, checkout), checkout.returnUrl);
  if (open && checkout.status === 'confirming')
    return html(reply, status, confirmPage(basePath, checkout), checkout.returnUrl);
  return html(reply, status === 200 ? 200 : 409, finalPage(checkout, statusText(checkout)), checkout.returnUrl);
}

function registerCheckoutRoutes(app: HttpServer, deps: SandboxRoutesDeps): void {
  const schema = { hide: true, params: CheckoutParams };
  app.get('/checkout/:id', { schema }, async (request, reply) =>
    showCheckout(deps.basePath, reply, await findCheckout(deps.db, { id: request.params.id })),
  );
  app.get('/checkout/:id/confirm', { schema }, async (request, reply) => {
    const checkout = await findCheckout(deps.db, { id: request.params.id });
    if (checkout?.status === 'open') return reply.redirect(checkoutPath(deps.basePath, checkout.id), 303);
    return showCheckout(deps.basePath, reply, checkout);
  });
  app.post(
    '/checkout/:id/pay',
    { schema: { ...schema, body: Type.Object({ card: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      const result = await payCheckout(deps, request.params.id, request.body.card);
      switch (result.outcome) {
        case 'paid':
        case 'declined':
          return reply.redirect(returnUrlOf(result.checkout), 303);
        case 'needs_confirmation':
          return reply.redirect(checkoutPath(deps.basePath, result.checkout.id, 'confirm'), 303);
        case 'unknown_card':
          if (result.checkout === undefined) return showCheckout(deps.basePath, reply, undefined);
          return html(
            reply,
            422,
            cardPage(deps.basePath, result.checkout, 'This is not a sandbox card: use one of the numbers below.'),
            result.checkout.returnUrl,
          );
        case 'not_payable':
          return showCheckout(deps.basePath, reply, result.checkout, 409);
      }
    },
  );
  app.post(
    '/checkout/:id/confirm',
    {
      schema: {
        ...schema,
        body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]) }),
      },
    },
    async (request, reply) => {
      const result = await confirmCheckout(deps, request.params.id, request.body.decision === 'approve');
      if (result.outcome === 'not_payable') return showCheckout(deps.basePath, reply, result.checkout, 409);
      if (result.checkout === undefined) return showCheckout(deps.basePath, reply, undefined);
      return reply.redirect(returnUrlOf(result.checkout), 303);
    },
  );
}

const FaultsBody = Type.Partial(
  Type.Object({
    down: Type.Boolean(),
    paused: Type.Boolean(),
    duplicate: Type.Boolean(),
    reverse: Type.Boolean(),
    dropNext: Type.Integer({ minimum: 0, maximum: 1000 }),
    delayMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  }),
);

function registerTestControlRoutes(app: HttpServer, deps: SandboxRoutesDeps): void {
  const schema = { hide: true };
  app.post('/test-control/faults', { schema: { ...schema, body: FaultsBody } }, (request) => {
    Object.assign(deps.faults, request.body);
    return { ...deps.faults };
  });
  app.post('/test-control/deliver', { schema }, async (_request, reply) => {
    await deps.deliverNow();
    return reply.code(204).send();
  });
  app.post(
    '/test-control/deposits/:depositId/expire',
    {
      schema: { ...schema, params: Type.Object({ depositId: Type.String({ pattern: '^[A-Za-z0-9:._@-]{1,128}$' }) }) },
    },
    async (request, reply) => reply.code((await deps.expireNow(request.params.depositId)) ? 204 : 404).send(),
  );
}

/** Mounts the sandbox's pages (and its test control API when enabled) under `/sandbox`. */
export async function registerSandboxRoutes(app: HttpServer, deps: SandboxRoutesDeps): Promise<void> {
  await app.register(
    (scope, _options, done) => {
      // The pages post plain HTML forms; parsed here only, not elsewhere in the service.
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 4096 },
        (_request, body, parsed) => {
          parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
        },
      );
      // The child scope is the same server with the same type provider; Fastify's plugin type only forgets it.
      const typed = scope as unknown as HttpServer;
      registerCheckoutRoutes(typed, deps);
      if (deps.testControl) registerTestControlRoutes(typed, deps);
      done();
    },
    { prefix: '/sandbox' },
  );
}

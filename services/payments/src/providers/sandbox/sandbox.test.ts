/**
 * The sandbox provider beyond the contract: its checkout pages as a browser
 * sees them, and its webhooks as the payments service receives them (a local
 * receiver here), with the faults tests can switch on.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSandboxHarness, type SandboxHarness } from '../../testing/sandbox-harness';
import { eventually } from '@t50/kit/testing';
import type { CreateDepositInput, ProviderEvent } from '../port';
import { parseSandboxWebhook } from './events';

function depositInput(amount = 1050n): CreateDepositInput {
  return {
    depositId: `dep-${randomUUID()}`,
    userId: 'user-1',
    asset: 'EUR',
    amount,
    returnUrl: 'https://wallet.example/deposits/{id}?back=1',
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}

/** A stand-in for the payments service's webhook route: verifies each delivery and keeps it. */
class Receiver {
  readonly events: ProviderEvent[] = [];
  readonly refused: string[] = [];
  status = 200;
  readonly server: Server;
  constructor(secret: string) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          const headers = Object.fromEntries(
            Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
          );
          this.events.push(parseSandboxWebhook({ rawBody: Buffer.concat(chunks), headers }, secret));
          response.statusCode = this.status;
        } catch (error) {
          this.refused.push(String(error));
          response.statusCode = 400;
        }
        response.end();
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/sandbox`;
  }
  of(reference: string): ProviderEvent[] {
    return this.events.filter(
      (event) =>
        (event.kind === 'deposit' ? event.depositId : event.kind === 'payout' ? event.payoutId : undefined) ===
        reference,
    );
  }
}

void describe('sandbox checkout pages', () => {
  let harness: SandboxHarness;
  before(async () => {
    harness = await startSandboxHarness();
  });
  after(async () => harness?.close());

  const pathOf = (url: string) => new URL(url).pathname.replace(/^\/pay/, '');
  const form = (url: string, fields: Record<string, string>) =>
    harness.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });

  void it('shows a labelled card form, marked as the sandbox, under a strict CSP without scripts', async () => {
    const created = await harness.provider.createDeposit(depositInput(123456n));
    assert.ok(
      created.redirectUrl.startsWith('http://127.0.0.1:9/pay/sandbox/checkout/sbx_cs_'),
      `the buyer is sent to the sandbox checkout: ${created.redirectUrl}`,
    );
    const page = await harness.app.inject({ method: 'GET', url: pathOf(created.redirectUrl) });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.body, /Sandbox — no real money/);
    assert.match(page.body, /<label for="card">Card number<\/label>/);
    assert.match(page.body, /<input id="card" name="card"/);
    assert.match(page.body, /1,234\.56 EUR/);
    assert.doesNotMatch(page.body, /<script|https?:\/\/(?!wallet\.example)/);
    const csp = page.headers['content-security-policy'] as string;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /form-action 'self' https:\/\/wallet\.example/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.match(page.body, /action="\/pay\/sandbox\/checkout\/sbx_cs_[0-9a-f]+\/pay"/);
  });

  void it('pays with 4242 4242 4242 4242 and sends the user back to the return page with the deposit id', async () => {
    const input = depositInput();
    const created = await harness.provider.createDeposit(input);
    const paid = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '4242 4242 4242 4242' });
    assert.equal(paid.statusCode, 303);
    assert.equal(paid.headers.location, `https://wallet.example/deposits/${input.depositId}?back=1`);
    assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId }), {
      status: 'succeeded',
      amount: 1050n,
      asset: 'EUR',
    });
    const again = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '4242424242424242' });
    assert.equal(again.statusCode, 409, 'a paid checkout cannot be paid twice');
    assert.match(again.body, /Paid/);
  });

  void it('refuses a card number that is not a sandbox card, and changes nothing', async () => {
    const input = depositInput();
    const created = await harness.provider.createDeposit(input);
    const refused = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '5555 5555 5555 4444' });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /role="alert"/);
    assert.match(refused.body, /aria-invalid="true"/);
    assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId }), { status: 'open' });
    const malformed = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '4242', extra: 'x' });
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId }), { status: 'open' });
  });

  void it('asks for a confirmation with 4000 0025 0000 3155: Confirm pays, Do not confirm fails', async () => {
    for (const [decision, expected] of [
      ['approve', 'succeeded'],
      ['reject', 'failed'],
    ] as const) {
      const input = depositInput();
      const created = await harness.provider.createDeposit(input);
      const step = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '4000-0025-0000-3155' });
      assert.equal(step.statusCode, 303);
      assert.equal(step.headers.location, `/pay/sandbox/checkout/${created.providerRef}/confirm`);
      const confirmPage = await harness.app.inject({ method: 'GET', url: `${pathOf(created.redirectUrl)}/confirm` });
      assert.equal(confirmPage.statusCode, 200);
      assert.match(confirmPage.body, /<button type="submit" name="decision" value="approve">Confirm<\/button>/);
      assert.deepEqual(
        await harness.provider.getDeposit({ id: input.depositId }),
        { status: 'open' },
        'open while waiting for the confirmation',
      );
      const answered = await form(`${pathOf(created.redirectUrl)}/confirm`, { decision });
      assert.equal(answered.statusCode, 303);
      assert.equal(answered.headers.location, `https://wallet.example/deposits/${input.depositId}?back=1`);
      assert.equal((await harness.provider.getDeposit({ id: input.depositId })).status, expected);
    }
  });

  void it('shows an expired checkout as expired and does not take a payment for it', async () => {
    const input = depositInput();
    const created = await harness.provider.createDeposit(input);
    await harness.sandbox.control.expireNow(input.depositId);
    const paid = await form(`${pathOf(created.redirectUrl)}/pay`, { card: '4242424242424242' });
    assert.equal(paid.statusCode, 409);
    assert.match(paid.body, /Checkout expired/);
    assert.equal((await harness.provider.getDeposit({ id: input.depositId })).status, 'expired');
  });

  void it('serves the test control API only when it is enabled', async () => {
    const set = await harness.app.inject({
      method: 'POST',
      url: '/sandbox/test-control/faults',
      payload: { duplicate: true, dropNext: 2 },
    });
    assert.equal(set.statusCode, 200);
    assert.equal(harness.sandbox.control.faults.duplicate, true);
    assert.equal(harness.sandbox.control.faults.dropNext, 2);
    const bad = await harness.app.inject({
      method: 'POST',
      url: '/sandbox/test-control/faults',
      payload: { explode: true },
    });
    assert.equal(bad.statusCode, 400);
    harness.sandbox.control.resetFaults();
    const input = depositInput();
    await harness.provider.createDeposit(input);
    const expire = await harness.app.inject({
      method: 'POST',
      url: `/sandbox/test-control/deposits/${input.depositId}/expire`,
    });
    assert.equal(expire.statusCode, 204);
    assert.equal((await harness.provider.getDeposit({ id: input.depositId })).status, 'expired');

    const production = await startSandboxHarness({ testControl: false }, 'pglite');
    try {
      const refused = await production.app.inject({
        method: 'POST',
        url: '/sandbox/test-control/faults',
        payload: { down: true },
      });
      assert.equal(refused.statusCode, 404);
      assert.equal(production.sandbox.control.faults.down, false);
    } finally {
      await production.close();
    }
  });

  void it('answers 404 for a checkout that does not exist', async () => {
    const page = await harness.app.inject({ method: 'GET', url: `/sandbox/checkout/sbx_cs_${'0'.repeat(32)}` });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /No such checkout/);
  });
});

for (const driver of ['postgres', 'pglite'] as const)
  void describe(`sandbox webhooks (${driver})`, () => {
    let harness: SandboxHarness;
    let receiver: Receiver;
    let url: string;
    before(async () => {
      receiver = new Receiver('sandbox-test-secret-0123456789');
      url = await receiver.listen();
      harness = await startSandboxHarness({ webhookUrl: url, senderIntervalMs: 50, payoutSettleMs: 200 }, driver);
      harness.sandbox.start();
    });
    after(async () => {
      await harness?.close();
      receiver?.server.close();
    });

    const pay = async (input: CreateDepositInput, card = '4242424242424242') => {
      const created = await harness.provider.createDeposit(input);
      const path = new URL(created.redirectUrl).pathname.replace(/^\/pay/, '');
      await harness.app.inject({
        method: 'POST',
        url: `${path}/pay`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `card=${card}`,
      });
      return created;
    };

    void it('posts a signed checkout.succeeded, checkout.failed and payout webhooks to the service', async () => {
      const paid = depositInput(987654321n);
      const created = await pay(paid);
      const declined = depositInput();
      await pay(declined, '4000000000000002');
      const payout = {
        payoutId: `pay-${randomUUID()}`,
        userId: 'u',
        asset: 'USD' as const,
        amount: 700n,
        destination: 'Bank ••99',
      };
      const failing = { ...payout, payoutId: `pay-${randomUUID()}`, destination: 'please FAIL this one' };
      assert.deepEqual((await harness.provider.createPayout(payout)).status, { status: 'pending' });
      await harness.provider.createPayout(failing);
      const paidEvents = await eventually(
        () => (receiver.of(paid.depositId).length > 0 ? receiver.of(paid.depositId) : undefined),
        { what: 'checkout.succeeded' },
      );
      assert.deepEqual(paidEvents[0], {
        eventId: paidEvents[0]?.eventId,
        kind: 'deposit',
        depositId: paid.depositId,
        providerRef: created.providerRef,
        status: { status: 'succeeded', amount: 987654321n, asset: 'EUR' },
      });
      const failedIn = await eventually(() => receiver.of(declined.depositId)[0], { what: 'checkout.failed' });
      assert.equal(failedIn.kind === 'deposit' && failedIn.status.status, 'failed');
      const paidOut = await eventually(() => receiver.of(payout.payoutId)[0], { what: 'payout.paid' });
      assert.equal(paidOut.kind === 'payout' && paidOut.status.status, 'succeeded');
      const failedOut = await eventually(() => receiver.of(failing.payoutId)[0], { what: 'payout.failed' });
      assert.equal(failedOut.kind === 'payout' && failedOut.status.status, 'failed');
      assert.deepEqual(await harness.provider.getPayout({ id: failing.payoutId }), {
        status: 'failed',
        reason: 'the destination refused the payout',
      });
      assert.deepEqual(receiver.refused, []);
    });

    void it('sends checkout.expired when a checkout runs out of time', async () => {
      const input = depositInput();
      await harness.provider.createDeposit(input);
      await harness.sandbox.control.expireNow(input.depositId);
      const event = await eventually(() => receiver.of(input.depositId)[0], { what: 'checkout.expired' });
      assert.equal(event.kind === 'deposit' && event.status.status, 'expired');
    });

    void it('holds a payment of an amount ending in 78 cents as processing, its webhook not sent yet', async () => {
      const input = depositInput(1078n);
      await pay(input);
      assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId }), { status: 'processing' });
      await harness.sandbox.control.deliverNow();
      assert.deepEqual(receiver.of(input.depositId), []);
      // Its time brought forward, so it does not arrive in the middle of a later case.
      await harness.db.query(
        `update sandbox_webhook_events set due_at = now() where body::jsonb->'data'->>'reference' = $1`,
        [input.depositId],
      );
      await harness.db.query(`update sandbox_checkouts set settles_at = now() where deposit_id = $1`, [
        input.depositId,
      ]);
      const settled = await eventually(() => receiver.of(input.depositId)[0], { what: 'the delayed webhook' });
      assert.equal(settled.kind === 'deposit' && settled.status.status, 'succeeded');
    });

    void it('retries a webhook the service refused until it is taken', async () => {
      receiver.status = 503;
      const input = depositInput();
      try {
        await pay(input);
        await eventually(() => (receiver.of(input.depositId).length > 0 ? true : undefined), {
          what: 'a first, refused delivery',
        });
      } finally {
        receiver.status = 200;
      }
      await eventually(
        async () => {
          const rows = await harness.db.query<{ delivered: boolean; attempts: number }>(
            `select delivered_at is not null as delivered, attempts from sandbox_webhook_events where body::jsonb->'data'->>'reference' = $1`,
            [input.depositId],
          );
          return rows[0]?.delivered === true ? rows[0] : undefined;
        },
        { what: 'the redelivery', timeoutMs: 30_000 },
      );
      assert.ok(receiver.of(input.depositId).length >= 2, 'the refused webhook was delivered again');
    });

    void it('can duplicate, drop and reorder webhooks (test faults), and holds them while paused', async () => {
      const control = harness.sandbox.control;
      try {
        control.setFaults({ duplicate: true });
        const doubled = depositInput();
        await pay(doubled);
        await eventually(() => (receiver.of(doubled.depositId).length === 2 ? true : undefined), {
          what: 'two deliveries',
        });
        const [one, two] = receiver.of(doubled.depositId);
        assert.equal(one?.eventId, two?.eventId, 'a duplicate carries the same event id');

        control.setFaults({ duplicate: false, dropNext: 1 });
        const dropped = depositInput();
        await pay(dropped);
        await eventually(() => (control.faults.dropNext === 0 ? true : undefined), { what: 'the drop' });
        await control.deliverNow();
        assert.deepEqual(receiver.of(dropped.depositId), []);
        assert.equal(
          (await harness.provider.getDeposit({ id: dropped.depositId })).status,
          'succeeded',
          'the state is right; only the webhook was lost',
        );

        control.setFaults({ paused: true, reverse: true });
        const first = depositInput();
        const second = depositInput();
        await pay(first);
        await pay(second);
        await control.deliverNow();
        assert.deepEqual([...receiver.of(first.depositId), ...receiver.of(second.depositId)], [], 'held while paused');
        const before = receiver.events.length;
        control.setFaults({ paused: false });
        await eventually(() => (receiver.of(first.depositId).length > 0 ? true : undefined), {
          what: 'the held webhooks',
        });
        const held = new Set([first.depositId, second.depositId]);
        const order = receiver.events
          .slice(before)
          .map((event) => (event.kind === 'deposit' ? (event.depositId ?? '') : ''))
          .filter((id) => held.has(id));
        assert.deepEqual(order, [second.depositId, first.depositId], 'newest first');
      } finally {
        control.resetFaults();
      }
    });

    void it('keeps its checkouts and undelivered webhooks across a restart', async () => {
      const control = harness.sandbox.control;
      control.setFaults({ paused: true });
      const input = depositInput();
      const created = await pay(input);
      await harness.sandbox.stop();
      control.resetFaults();
      const restarted = harness.restart();
      restarted.start();
      assert.deepEqual(await restarted.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef }), {
        status: 'succeeded',
        amount: 1050n,
        asset: 'EUR',
      });
      await eventually(() => receiver.of(input.depositId)[0], { what: 'the webhook sent by the restarted sandbox' });
    });
  });

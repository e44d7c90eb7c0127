/**
 * A producer built from the machine-readable contract (docs/asyncapi.json)
 * reaches the ledger: each command, published to the exchange and routing key
 * the document gives, with `mandatory` (so an unbound key would come back),
 * is applied.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { systemAccountId, userAccountId, type LedgerEvent } from '@t50/contracts';
import { publishRaw, until } from '@t50/kit/testing';
import { startTestLedger, type TestLedger } from '../src/testing';
import { post, registered, transfer, uid, voidHold } from './helpers';

interface Channel {
  address: string;
  bindings: { amqp: { exchange: { name: string } } };
}
type AsyncApi = { channels: Record<string, Channel>; components: { messages: Record<string, { name: string }> } };

describe('docs/asyncapi.json as a producer reads it', () => {
  let ledger: TestLedger;
  let channels: Map<string, Channel>;
  before(async () => {
    // A sweep interval of an hour: the hold below expires by the published command, not by the sweeper.
    ledger = await startTestLedger('asyncapi', { LEDGER_HOLD_SWEEP_INTERVAL_MS: 3_600_000 });
    const document = JSON.parse(await readFile(new URL('../../../docs/asyncapi.json', import.meta.url), 'utf8')) as AsyncApi;
    channels = new Map(Object.entries(document.channels).map(([key, channel]) => [document.components.messages[key]!.name, channel]));
  });
  after(async () => {
    await ledger?.close();
  });

  const publishAsDocumented = async (message: { id: string; type: string }) => {
    const channel = channels.get(message.type);
    assert.ok(channel, `${message.type} is in asyncapi.json`);
    await publishRaw(ledger.brokerUrl, {
      exchange: channel.bindings.amqp.exchange.name,
      routingKey: channel.address,
      body: JSON.stringify(message),
      contentType: 'application/json',
      messageId: message.id,
      mandatory: true,
    });
  };

  it('applies every ledger command published with the documented routing key and mandatory', { timeout: 60_000 }, async () => {
    const user = uid('aa');
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
    const usd = userAccountId(user, 'USD');
    const fees = systemAccountId('fees', 'USD');
    const funding = systemAccountId('stripe_clearing', 'USD');
    const seen = (type: LedgerEvent['type'], transferId: string) => (e: LedgerEvent) =>
      e.type === type && 'transfer' in e.data && e.data.transfer.transferId === transferId;

    // ledger.account.open
    const owner = uid('owner');
    await publishAsDocumented({ id: `open-${owner}`, type: 'ledger.account.open', version: 1, data: { ownerId: owner, asset: 'EUR' } } as never);
    await ledger.events.waitFor((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === owner);

    // ledger.transfer.create
    const fund = uid('fund');
    await publishAsDocumented(transfer(fund, [{ debitAccountId: funding, creditAccountId: usd, asset: 'USD', amount: '1000' }], { code: 'deposit' }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', fund));

    // ledger.transfer.post and ledger.transfer.void, each on a hold of its own
    const [toPost, toVoid, toExpire] = [uid('hold'), uid('hold'), uid('hold')];
    let expiresAt = '';
    for (const [hold, timeoutSeconds] of [[toPost, 600], [toVoid, 600], [toExpire, 1]] as const) {
      await publishAsDocumented(
        transfer(hold, [{ debitAccountId: usd, creditAccountId: fees, asset: 'USD', amount: '100' }], { pending: { timeoutSeconds } }),
      );
      const pending = await ledger.events.waitFor(seen('ledger.transfer.pending', hold));
      if (pending.type === 'ledger.transfer.pending') expiresAt = pending.data.transfer.expiresAt ?? '';
    }
    await publishAsDocumented(post(toPost));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `${toPost}:post`));
    await publishAsDocumented(voidHold(toVoid));
    await ledger.events.waitFor(seen('ledger.transfer.voided', `${toVoid}:void`));

    // ledger.hold.expire, once the hold's second has passed
    await until(() => Date.now() > Date.parse(expiresAt), { what: `the end of hold ${toExpire}` });
    await publishAsDocumented({ id: `expire:${toExpire}`, type: 'ledger.hold.expire', version: 1, data: { pendingId: toExpire } } as never);
    await ledger.events.waitFor(seen('ledger.transfer.voided', `expire:${toExpire}`));
  });

  it('a command sent with its bare type as the routing key comes back unroutable (what the contract used to say)', { timeout: 30_000 }, async () => {
    await assert.rejects(
      publishRaw(ledger.brokerUrl, {
        exchange: 't50.commands',
        routingKey: 'ledger.account.open',
        body: '{}',
        contentType: 'application/json',
        mandatory: true,
      }),
      /unroutable/,
    );
  });

  it('documents every command and event the ledger consumes or sends', () => {
    for (const [type, channel] of channels) {
      const expected = channel.bindings.amqp.exchange.name === 't50.commands' ? `ledger.command.${type}` : type;
      assert.equal(channel.address, expected, type);
    }
    assert.equal(channels.size, 21);
  });
});

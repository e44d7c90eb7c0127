/**
 * A message nested thousands of levels deep, from any publisher, is refused
 * at once with a reason (too_deep) instead of crashing the consumer until the
 * broker gives up on it; the dead letter carries its reason header.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exchanges } from '@t50/contracts';
import { deadLetterQueueName } from '@t50/kit';
import { publishRaw, readRaw } from '@t50/kit/testing';
import { ledgerQueue } from '../src/messages/consumer';
import { startTestLedger, type TestLedger } from '../src/testing';

const depth = 10_000;
const deepCommand = (id: string) =>
  `{"id":"${id}","type":"ledger.account.open","version":1,"data":{"ownerId":"deep","asset":"USD","extra":${'['.repeat(depth)}${']'.repeat(depth)}}}`;

describe('a message nested 10,000 levels deep', () => {
  let ledger: TestLedger;
  before(async () => {
    ledger = await startTestLedger('deep');
  });
  after(async () => {
    await ledger?.close();
  });

  it('is dead-lettered on its first delivery with the reason too_deep, from our transport or another client', { timeout: 60_000 }, async () => {
    const started = performance.now();
    // Another client's application/json (the consuming client decodes it), and raw bytes through the kit's transport.
    await publishRaw(ledger.brokerUrl, {
      exchange: exchanges.commands,
      routingKey: 'ledger.command.ledger.account.open',
      body: deepCommand('deep-foreign'),
      contentType: 'application/json',
      messageId: 'deep-foreign',
    });
    await ledger.send(Buffer.from(deepCommand('deep-bytes')), { routingKey: 'ledger.command.ledger.account.open' });

    const dead: Awaited<ReturnType<typeof readRaw>> = [];
    for (let waited = 0; dead.length < 2 && waited < 30_000; waited += 500) dead.push(...(await readRaw(ledger.brokerUrl, deadLetterQueueName(ledgerQueue), 500)));
    const elapsedMs = performance.now() - started;
    assert.equal(dead.length, 2, 'both dead-lettered');
    for (const letter of dead) {
      assert.match(String(letter.headers['x-t50-death-reason']), /^too_deep: /);
      assert.equal(letter.headers['x-t50-attempt'], 1, 'refused on the first delivery, not retried');
      assert.ok(letter.body.length > 2 * depth, 'the dead letter keeps the body');
    }
    assert.ok(elapsedMs < 15_000, `refused within ${Math.round(elapsedMs)} ms`);
  });
});

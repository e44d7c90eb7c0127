/**
 * The transport contract as tests: every implementation runs the same suite
 * (rabbitmq.test.ts, memory.test.ts), so a service cannot tell them apart.
 * Each case uses queues of its own; the RabbitMQ file runs in a vhost of its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import { createLogger } from '../logger';
import { sleep } from './common';
import { DeadLetterError, deadLetterQueueName, type BatchOutcome, type Delivery, type Transport } from './types';

export interface ContractTransport {
  readonly transport: Transport;
  /** Closes the transport (and anything else the factory opened). */
  cleanup(): Promise<void>;
  /**
   * Kills the transport's connection as a crash would, without waiting for
   * handlers: the broker must give its unacked deliveries to another consumer.
   */
  crash(): Promise<void>;
}

/** Creates one transport on the implementation under test, logging to `logger`. */
export type TransportFactory = (logger: Logger) => Promise<ContractTransport>;

const caseTimeoutMs = 30_000;
const waitTimeoutMs = 15_000;
/** Long enough for a message that should not come to have come. */
const quietMs = 300;

export function runTransportContract(name: string, makeTransport: TransportFactory): void {
  void describe(`transport contract: ${name}`, () => {
    const opened: ContractTransport[] = [];
    const logLines: string[] = [];
    const logger = createLogger({
      service: 'transport-contract',
      level: 'info',
      // Kept (bounded) so a case can check what was logged.
      destination: { write: (line: string) => void (logLines.length < 10_000 && logLines.push(line)) },
    });
    const open = async (): Promise<Transport> => {
      const made = await makeTransport(logger);
      opened.push(made);
      return made.transport;
    };
    const openWithCrash = async (): Promise<ContractTransport> => {
      const made = await makeTransport(logger);
      opened.push(made);
      return made;
    };
    // Every case closes what it opened, even when it fails.
    const closeAll = async (): Promise<void> => {
      const toClose = opened.splice(0);
      await Promise.all(toClose.map((made) => made.cleanup()));
    };

    void describe('delivery and acknowledgement', () => {
      void it(
        'acks a handled message: a restarted consumer does not get it again',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('ack');
            await transport.declareQueue({ name: queue });
            await transport.publish(jsonMessage(queue, 'first', { n: 1 }));
            const firstRun = new Inbox();
            const first = await transport.consume(queue, firstRun.handler);
            await firstRun.waitFor(1, 'the first message');
            await first.close();
            assert.equal(firstRun.items[0]?.redelivered, false);
            assert.equal(firstRun.items[0]?.attempt, 1);

            await transport.publish(jsonMessage(queue, 'second', { n: 2 }));
            const secondRun = new Inbox();
            const second = await transport.consume(queue, secondRun.handler);
            await secondRun.waitFor(1, 'the second message');
            await sleep(quietMs);
            await second.close();
            // An unacked 'first' would come back ahead of 'second'.
            assert.deepEqual(messageIds(secondRun.items), ['second']);
          } finally {
            await closeAll();
          }
        },
      );

      void it(
        'redelivers an unacked message after its consumer dies, marked redelivered',
        { timeout: caseTimeoutMs },
        async () => {
          const gate = deferred();
          try {
            const dying = await openWithCrash();
            const queue = unique('crash');
            await dying.transport.declareQueue({ name: queue });
            await dying.transport.publish(jsonMessage(queue, 'in-flight', { n: 1 }));
            const started = deferred();
            await dying.transport.consume(queue, async () => {
              started.resolve();
              await gate.promise; // hangs until the test is over: never acked in time
            });
            await within(started.promise, 'the handler to start');
            await dying.crash();

            // A restarted service declares its queues first, as every service does at start.
            const survivor = await open();
            await survivor.declareQueue({ name: queue });
            const inbox = new Inbox();
            await survivor.consume(queue, inbox.handler);
            await inbox.waitFor(1, 'the redelivery');
            assert.equal(inbox.items[0]?.messageId, 'in-flight');
            assert.equal(inbox.items[0]?.redelivered, true);
            assert.deepEqual(json(inbox.items[0]), { n: 1 });
          } finally {
            gate.resolve();
            await closeAll();
          }
        },
      );

      void it(
        'gives back the deliveries no batch took when a batch subscription closes',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('batch-close');
            await transport.declareQueue({ name: queue });
            let handlerCalls = 0;
            const waiting = await transport.consumeBatch(
              queue,
              (batch) => {
                handlerCalls += 1;
                return Promise.resolve(acks(batch));
              },
              { maxMessages: 100, maxWaitMs: 10_000 },
            );
            await transport.publishMany([0, 1, 2].map((n) => jsonMessage(queue, `m${n}`, { n })));
            await sleep(quietMs); // delivered to the subscription, waiting for the batch to fill
            await waiting.close();
            assert.equal(handlerCalls, 0);

            const inbox = new Inbox();
            await transport.consume(queue, inbox.handler);
            await inbox.waitFor(3, 'the given-back messages');
            assert.deepEqual(messageIds(inbox.items), ['m0', 'm1', 'm2']);
            assert.ok(
              inbox.items.every((delivery) => delivery.redelivered),
              'every given-back message is marked redelivered',
            );
          } finally {
            await closeAll();
          }
        },
      );

      void it(
        'publish resolves once the message is held: it waits in its queue for a consumer',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('confirm');
            await transport.declareQueue({ name: queue });
            await transport.publish({
              exchange: '',
              routingKey: queue,
              body: { amount: '12345678901234567890', note: 'ü' },
              messageId: 'm-json',
              correlationId: 'corr-1',
              replyTo: 'reply-queue',
              type: 'test.created',
              headers: { 'x-tenant': 'a', 'x-count': 3, 'x-flag': true },
            });
            await transport.publish({
              exchange: '',
              routingKey: queue,
              body: Buffer.from([0, 1, 2, 255]),
              messageId: 'm-bytes',
            });
            await transport.publishMany([1, 2, 3].map((n) => jsonMessage(queue, `m${n}`, { n })));

            const inbox = new Inbox();
            await transport.consume(queue, inbox.handler);
            await inbox.waitFor(5, 'the published messages');
            assert.deepEqual(messageIds(inbox.items), ['m-json', 'm-bytes', 'm1', 'm2', 'm3']);
            const [withProperties, bytes] = inbox.items;
            assert.deepEqual(json(withProperties), { amount: '12345678901234567890', note: 'ü' });
            assert.equal(withProperties?.correlationId, 'corr-1');
            assert.equal(withProperties?.replyTo, 'reply-queue');
            assert.equal(withProperties?.type, 'test.created');
            assert.equal(withProperties?.exchange, '');
            assert.equal(withProperties?.routingKey, queue);
            assert.equal(withProperties?.headers['x-tenant'], 'a');
            assert.equal(withProperties?.headers['x-count'], 3);
            assert.equal(withProperties?.headers['x-flag'], true);
            assert.deepEqual(bytes?.body, Buffer.from([0, 1, 2, 255]));
          } finally {
            await closeAll();
          }
        },
      );

      void it('routes by topic: * is one word, # zero or more', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const exchange = unique('events');
          const queue = unique('routed');
          await transport.declareExchange(exchange);
          await transport.declareQueue({
            name: queue,
            bindings: [
              { exchange, routingKey: 'ledger.*.posted' },
              { exchange, routingKey: 'audit.#' },
            ],
          });
          const keys = [
            'ledger.transfer.posted',
            'ledger.transfer.voided',
            'ledger.a.b.posted',
            'audit',
            'audit.x.y.z',
            'auditx.y',
            'ledger.posted',
          ];
          for (const key of [...keys, 'audit.end'])
            await transport.publish({ exchange, routingKey: key, body: { key }, messageId: key });
          const inbox = new Inbox();
          await transport.consume(queue, inbox.handler);
          await inbox.waitFor(4, 'the routed messages');
          await sleep(quietMs);
          assert.deepEqual(
            inbox.items.map((delivery) => delivery.routingKey),
            ['ledger.transfer.posted', 'audit', 'audit.x.y.z', 'audit.end'],
          );
          assert.ok(
            inbox.items.every((delivery) => delivery.exchange === exchange),
            `every message came through ${exchange}`,
          );
        } finally {
          await closeAll();
        }
      });

      void it('rejects a publish to an exchange that does not exist', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          await assert.rejects(
            transport.publish({ exchange: unique('missing'), routingKey: 'a', body: {}, messageId: 'm' }),
          );
        } finally {
          await closeAll();
        }
      });

      void it(
        'gives all messages to one consumer of a single-active-consumer queue',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('single');
            await transport.declareQueue({ name: queue, singleActiveConsumer: true });
            const one = new Inbox();
            const two = new Inbox();
            await transport.consume(queue, one.handler, { prefetch: 2 });
            await transport.consume(queue, two.handler, { prefetch: 2 });
            await transport.publishMany([1, 2, 3, 4, 5, 6].map((n) => jsonMessage(queue, `m${n}`, { n })));
            await waitUntil(() => one.items.length + two.items.length >= 6, 'all messages');
            await sleep(quietMs);
            const counts = [one.items.length, two.items.length].sort();
            assert.deepEqual(counts, [0, 6]);
          } finally {
            await closeAll();
          }
        },
      );
    });

    void describe('exclusive queues (replies)', () => {
      void it(
        'belongs to its transport: another cannot declare it; gone with what it held once its transport closes',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const owner = await openWithCrash();
            const other = await open();
            const queue = unique('replies');
            await owner.transport.declareQueue({ name: queue, exclusive: true });
            await owner.transport.declareQueue({ name: queue, exclusive: true }); // idempotent for its owner
            await assert.rejects(other.declareQueue({ name: queue, exclusive: true }));
            // Anyone may publish to it by name; only its owner consumes.
            await other.publish(jsonMessage(queue, 'to-owner', { n: 1 }));
            const inbox = new Inbox();
            await owner.transport.consume(queue, inbox.handler);
            await inbox.waitFor(1, 'the message to the owner');
            assert.deepEqual(messageIds(inbox.items), ['to-owner']);

            await other.publish(jsonMessage(queue, 'left-behind', { n: 2 }));
            await owner.cleanup();
            const successor = await open();
            await successor.declareQueue({ name: queue, exclusive: true });
            await successor.publish(jsonMessage(queue, 'fresh', { n: 3 }));
            const successorInbox = new Inbox();
            await successor.consume(queue, successorInbox.handler);
            await successorInbox.waitFor(1, 'the message to the new queue');
            await sleep(quietMs);
            // A kept queue would have delivered 'left-behind' first.
            assert.deepEqual(messageIds(successorInbox.items), ['fresh']);
          } finally {
            await closeAll();
          }
        },
      );

      void it('drops a message whose handler fails: no retry, no dead letter', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const queue = unique('replies-failing');
          await transport.declareQueue({ name: queue, exclusive: true, maxAttempts: 3, retryDelaysMs: [20] });
          const seen: string[] = [];
          await transport.consume(queue, (delivery) => {
            seen.push(delivery.messageId ?? '');
            return Promise.reject(new Error(delivery.messageId === 'bad' ? 'cannot handle' : 'unexpected'));
          });
          await transport.publish(jsonMessage(queue, 'bad', {}));
          await waitUntil(() => seen.length >= 1, 'the failing delivery');
          await sleep(quietMs);
          assert.deepEqual(seen, ['bad']);
          assert.ok(
            logLines.some((line) => line.includes('dropped') && line.includes(queue)),
            `the dropped message is logged for ${queue}:\n${logLines.join('\n')}`,
          );
          await assert.rejects(transport.consume(deadLetterQueueName(queue), () => Promise.resolve()));
        } finally {
          await closeAll();
        }
      });
    });

    void describe('retries and dead letters', () => {
      void it(
        'retries a failing message after the delay, then dead-letters it with its reason and attempt count',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const exchange = unique('orders');
            const queue = unique('failing');
            await transport.declareExchange(exchange);
            await transport.declareQueue({
              name: queue,
              bindings: [{ exchange, routingKey: 'orders.*' }],
              maxAttempts: 3,
              retryDelaysMs: [50],
            });
            const seen: { delivery: Delivery; at: number }[] = [];
            await transport.consume(queue, (delivery) => {
              seen.push({ delivery, at: performance.now() });
              return Promise.reject(new Error('database down'));
            });
            await transport.publish({
              exchange,
              routingKey: 'orders.created',
              body: { id: 7 },
              messageId: 'order-7',
              headers: { 'x-custom': 'kept' },
            });

            const [dead] = await take(transport, deadLetterQueueName(queue), 1);
            await sleep(quietMs);
            assert.deepEqual(
              seen.map(({ delivery }) => [
                delivery.attempt,
                delivery.exchange,
                delivery.routingKey,
                delivery.messageId,
              ]),
              [
                [1, exchange, 'orders.created', 'order-7'],
                [2, exchange, 'orders.created', 'order-7'],
                [3, exchange, 'orders.created', 'order-7'],
              ],
            );
            for (let index = 1; index < seen.length; index++) {
              const gapMs = (seen[index]?.at ?? 0) - (seen[index - 1]?.at ?? 0);
              assert.ok(gapMs >= 40, `retry ${index} came after ${gapMs.toFixed(0)} ms, before its 50 ms delay`);
            }
            assert.equal(dead?.messageId, 'order-7');
            assert.deepEqual(json(dead), { id: 7 });
            assert.equal(dead?.headers['x-t50-death-reason'], 'database down');
            assert.equal(dead?.headers['x-t50-attempt'], 3);
            assert.equal(dead?.headers['x-t50-original-queue'], queue);
            assert.equal(dead?.headers['x-t50-original-exchange'], exchange);
            assert.equal(dead?.headers['x-t50-original-routing-key'], 'orders.created');
            assert.equal(dead?.headers['x-custom'], 'kept');
          } finally {
            await closeAll();
          }
        },
      );

      void it(
        'dead-letters malformed input at once and keeps consuming, without logging the body',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('malformed');
            await transport.declareQueue({ name: queue, maxAttempts: 5, retryDelaysMs: [50] });
            const malformed = Buffer.from('{"amount": secret-body-marker');
            const calls: string[] = [];
            await transport.consume(queue, (delivery) => {
              calls.push(delivery.messageId ?? '');
              try {
                JSON.parse(delivery.body.toString('utf8'));
              } catch (error) {
                return Promise.reject(new DeadLetterError(`not JSON: ${(error as Error).message}`));
              }
              return Promise.resolve();
            });
            await transport.publish({ exchange: '', routingKey: queue, body: malformed, messageId: 'bad' });
            await transport.publish(jsonMessage(queue, 'good', { ok: true }));

            const [dead] = await take(transport, deadLetterQueueName(queue), 1);
            await waitUntil(() => calls.includes('good'), 'the next message');
            await sleep(quietMs);
            assert.deepEqual(calls, ['bad', 'good']);
            assert.equal(dead?.messageId, 'bad');
            assert.deepEqual(dead?.body, malformed);
            assert.match(String(dead?.headers['x-t50-death-reason']), /^not JSON: /);
            assert.equal(dead?.headers['x-t50-attempt'], 1);
            assert.ok(
              !logLines.some((line) => line.includes('secret-body-marker')),
              'a log line contains the message body',
            );
          } finally {
            await closeAll();
          }
        },
      );
    });

    void describe('batches', () => {
      void it(
        'batches at most maxMessages, one batch at a time, in publish order',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('batch');
            await transport.declareQueue({ name: queue });
            await transport.publishMany(range(25).map((n) => jsonMessage(queue, `m${n}`, { n })));
            const sizes: number[] = [];
            const ids: string[] = [];
            let inFlight = 0;
            let mostInFlight = 0;
            const subscription = await transport.consumeBatch(
              queue,
              async (batch) => {
                inFlight += 1;
                mostInFlight = Math.max(mostInFlight, inFlight);
                sizes.push(batch.length);
                ids.push(...messageIds(batch));
                await sleep(20);
                inFlight -= 1;
                return acks(batch);
              },
              { maxMessages: 10, maxWaitMs: 200 },
            );
            await waitUntil(() => ids.length >= 25, 'all 25 messages');
            await subscription.close();
            assert.ok(
              sizes.every((size) => size <= 10),
              `batch sizes ${sizes.join(',')}`,
            );
            assert.equal(sizes[0], 10);
            assert.equal(mostInFlight, 1);
            assert.deepEqual(
              ids,
              range(25).map((n) => `m${n}`),
            );

            // All were acked: a new consumer gets only what is published next.
            await transport.publish(jsonMessage(queue, 'next', {}));
            const [next] = await take(transport, queue, 1);
            assert.equal(next?.messageId, 'next');
          } finally {
            await closeAll();
          }
        },
      );

      void it('flushes a partial batch once maxWaitMs has passed', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const queue = unique('partial');
          await transport.declareQueue({ name: queue });
          const batches: { size: number; at: number }[] = [];
          await transport.consumeBatch(
            queue,
            (batch) => {
              batches.push({ size: batch.length, at: performance.now() });
              return Promise.resolve(acks(batch));
            },
            { maxMessages: 100, maxWaitMs: 150 },
          );
          const publishedAt = performance.now();
          await transport.publishMany(range(3).map((n) => jsonMessage(queue, `m${n}`, { n })));
          await waitUntil(() => batches.length >= 1, 'the partial batch');
          const waitedMs = (batches[0]?.at ?? 0) - publishedAt;
          assert.equal(batches[0]?.size, 3);
          assert.ok(waitedMs >= 140, `flushed after ${waitedMs.toFixed(0)} ms, before maxWaitMs`);
          assert.ok(waitedMs < 5_000, `flushed only after ${waitedMs.toFixed(0)} ms`);
        } finally {
          await closeAll();
        }
      });

      void it('dead-letters only the delivery whose outcome says so', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const queue = unique('outcomes');
          await transport.declareQueue({ name: queue });
          const seen: string[] = [];
          const subscription = await transport.consumeBatch(
            queue,
            (batch) => {
              seen.push(...messageIds(batch));
              return Promise.resolve(
                batch.map((delivery): BatchOutcome =>
                  delivery.messageId === 'm2' ? { kind: 'dead-letter', reason: 'bad amount' } : { kind: 'ack' },
                ),
              );
            },
            { maxMessages: 10, maxWaitMs: 50 },
          );
          await transport.publishMany(range(5).map((n) => jsonMessage(queue, `m${n}`, { n })));
          const [dead] = await take(transport, deadLetterQueueName(queue), 1);
          await waitUntil(() => seen.length >= 5, 'all five messages');
          await subscription.close();
          assert.equal(dead?.messageId, 'm2');
          assert.equal(dead?.headers['x-t50-death-reason'], 'bad amount');
          assert.equal(dead?.headers['x-t50-attempt'], 1);
          assert.equal(dead?.headers['x-t50-original-queue'], queue);

          await transport.publish(jsonMessage(queue, 'next', {}));
          const [next] = await take(transport, queue, 1);
          assert.equal(next?.messageId, 'next');
          assert.deepEqual(seen, ['m0', 'm1', 'm2', 'm3', 'm4']);
        } finally {
          await closeAll();
        }
      });

      void it(
        'retries only the delivery whose outcome says retry, and dead-letters it with that reason when its attempts are used up',
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('outcome-retry');
            await transport.declareQueue({ name: queue, maxAttempts: 3, retryDelaysMs: [50] });
            const seen: [string, number][] = [];
            const subscription = await transport.consumeBatch(
              queue,
              (batch) => {
                seen.push(...batch.map((delivery): [string, number] => [delivery.messageId ?? '', delivery.attempt]));
                return Promise.resolve(
                  batch.map((delivery): BatchOutcome =>
                    delivery.messageId === 'm2' ? { kind: 'retry', reason: 'cannot be written' } : { kind: 'ack' },
                  ),
                );
              },
              { maxMessages: 10, maxWaitMs: 50 },
            );
            await transport.publishMany(range(5).map((n) => jsonMessage(queue, `m${n}`, { n })));
            const dead = await take(transport, deadLetterQueueName(queue), 1);
            await sleep(quietMs);
            await subscription.close();
            assert.deepEqual(
              dead.map((letter) => [
                letter.messageId,
                letter.headers['x-t50-death-reason'],
                letter.headers['x-t50-attempt'],
              ]),
              [['m2', 'cannot be written', 3]],
              'only the failing delivery is dead-lettered, with its own reason',
            );
            // The neighbours were handled once and acked; only m2 came back, twice.
            assert.deepEqual([...seen].sort(), [
              ['m0', 1],
              ['m1', 1],
              ['m2', 1],
              ['m2', 2],
              ['m2', 3],
              ['m3', 1],
              ['m4', 1],
            ]);
          } finally {
            await closeAll();
          }
        },
      );

      void it('retries every delivery of a batch whose handler throws', { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const queue = unique('batch-retry');
          await transport.declareQueue({ name: queue, maxAttempts: 2, retryDelaysMs: [50] });
          const calls: { ids: string[]; attempts: number[] }[] = [];
          await transport.consumeBatch(
            queue,
            (batch) => {
              calls.push({ ids: messageIds(batch), attempts: batch.map((delivery) => delivery.attempt) });
              return calls.length === 1 ? Promise.reject(new Error('database down')) : Promise.resolve(acks(batch));
            },
            { maxMessages: 10, maxWaitMs: 100 },
          );
          await transport.publishMany(range(3).map((n) => jsonMessage(queue, `m${n}`, { n })));
          await waitUntil(() => calls.flatMap((call) => call.ids).length >= 6, 'the retried batch');
          assert.deepEqual(calls[0], { ids: ['m0', 'm1', 'm2'], attempts: [1, 1, 1] });
          const retried = calls.slice(1).flatMap((call) => call.ids.map((id, index) => [id, call.attempts[index]]));
          assert.deepEqual([...retried].sort(), [
            ['m0', 2],
            ['m1', 2],
            ['m2', 2],
          ]);
        } finally {
          await closeAll();
        }
      });
    });

    void describe('trace propagation', () => {
      const exporter = new InMemorySpanExporter();
      const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      before(() => provider.register({ propagator: new W3CTraceContextPropagator() }));
      after(() => provider.shutdown());

      void it("continues the publisher's trace in the handler", { timeout: caseTimeoutMs }, async () => {
        try {
          const transport = await open();
          const queue = unique('traced');
          await transport.declareQueue({ name: queue });
          const handlerTraceIds: (string | undefined)[] = [];
          const inbox = new Inbox();
          await transport.consume(queue, async (delivery) => {
            handlerTraceIds.push(trace.getActiveSpan()?.spanContext().traceId);
            await inbox.handler(delivery);
          });
          const publisherSpan = trace.getTracer('contract-test').startSpan('publish side');
          const publisherContext = trace.setSpan(ROOT_CONTEXT, publisherSpan);
          await withContext(publisherContext, () => transport.publish(jsonMessage(queue, 'traced', {})));
          publisherSpan.end();
          await inbox.waitFor(1, 'the traced message');

          const { traceId, spanId } = publisherSpan.spanContext();
          assert.match(String(inbox.items[0]?.headers['traceparent']), new RegExp(`^00-${traceId}-${spanId}-0[01]$`));
          assert.deepEqual(handlerTraceIds, [traceId]);
          await waitUntil(
            () => exporter.getFinishedSpans().some((span) => span.name === `${queue} process`),
            'the consumer span',
          );
          const consumerSpan = exporter.getFinishedSpans().find((span) => span.name === `${queue} process`);
          assert.equal(consumerSpan?.kind, SpanKind.CONSUMER);
          assert.equal(consumerSpan?.spanContext().traceId, traceId);
          assert.equal(consumerSpan?.parentSpanContext?.spanId, spanId);
        } finally {
          await closeAll();
        }
      });

      void it(
        "runs a batch in the first message's trace, with the traceparent of each",
        { timeout: caseTimeoutMs },
        async () => {
          try {
            const transport = await open();
            const queue = unique('traced-batch');
            await transport.declareQueue({ name: queue });
            const publisherSpan = trace.getTracer('contract-test').startSpan('publish side');
            await withContext(trace.setSpan(ROOT_CONTEXT, publisherSpan), () =>
              transport.publishMany(range(3).map((n) => jsonMessage(queue, `m${n}`, { n }))),
            );
            publisherSpan.end();
            const seen: { traceparents: unknown[]; traceId: string | undefined }[] = [];
            await transport.consumeBatch(
              queue,
              (batch) => {
                seen.push({
                  traceparents: batch.map((delivery) => delivery.headers['traceparent']),
                  traceId: trace.getActiveSpan()?.spanContext().traceId,
                });
                return Promise.resolve(acks(batch));
              },
              { maxMessages: 10, maxWaitMs: 100 },
            );
            await waitUntil(() => seen.flatMap((batch) => batch.traceparents).length >= 3, 'the batch');
            const { traceId } = publisherSpan.spanContext();
            assert.ok(
              seen.flatMap((batch) => batch.traceparents).every((value) => String(value).startsWith(`00-${traceId}-`)),
              'every message of the batch carries the publisher trace',
            );
            assert.equal(seen[0]?.traceId, traceId);
          } finally {
            await closeAll();
          }
        },
      );
    });
  });
}

const withContext = <T>(active: Context, work: () => Promise<T>): Promise<T> => context.with(active, work);

const unique = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

const jsonMessage = (queue: string, messageId: string, body: unknown) => ({
  exchange: '',
  routingKey: queue,
  messageId,
  body,
});

const messageIds = (deliveries: readonly Delivery[]): string[] =>
  deliveries.map((delivery) => delivery.messageId ?? '');

const acks = (batch: readonly Delivery[]): BatchOutcome[] => batch.map(() => ({ kind: 'ack' }));

const json = (delivery: Delivery | undefined): unknown =>
  delivery === undefined ? undefined : JSON.parse(delivery.body.toString('utf8'));

/** Collects deliveries (bounded) in arrival order. */
class Inbox {
  readonly items: Delivery[] = [];
  readonly handler = (delivery: Delivery): Promise<void> => {
    if (this.items.length < 10_000) this.items.push(delivery);
    return Promise.resolve();
  };

  waitFor(count: number, what: string): Promise<void> {
    return waitUntil(() => this.items.length >= count, what);
  }
}

/** Consumes `count` messages of `queue`, then stops consuming. */
async function take(transport: Transport, queue: string, count: number): Promise<Delivery[]> {
  const inbox = new Inbox();
  const subscription = await transport.consume(queue, inbox.handler);
  try {
    await inbox.waitFor(count, `${count} message(s) in ${queue}`);
    return inbox.items.slice(0, count);
  } finally {
    await subscription.close();
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = waitTimeoutMs): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

async function within<T>(promise: Promise<T>, what: string, timeoutMs = waitTimeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Every message schema in one list, with who sends it and where: the source of
 * the AsyncAPI document (docs/asyncapi.json) and of runtime validation.
 */
import { FormatRegistry, type TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { domainEvents } from './events';
import { exchanges, ledgerCommands, ledgerEvents } from './ledger';

/** A service that sends or receives a message; `planned` when the code for it does not exist yet. */
export interface CatalogParty {
  readonly name: string;
  readonly planned?: boolean;
  /** A short note, e.g. which part of the service does it. */
  readonly note?: string;
}

export interface CatalogEntry {
  readonly type: string;
  readonly exchange: string;
  /**
   * The routing key producers use and the ledger's queue is bound to:
   * `ledger.command.<type>` for commands on t50.commands, the type itself for
   * events on t50.events. With several ledger partitions a producer that
   * knows the partition appends `.p<k>`; without the suffix the ledger's
   * router forwards the message.
   */
  readonly routingKey: string;
  readonly producers: readonly CatalogParty[];
  readonly consumers: readonly CatalogParty[];
  readonly schema: TObject;
}

/** The routing key of a ledger command on t50.commands. */
export const commandRoutingKey = (type: string): string => `ledger.command.${type}`;

/** The services that have code for this side of a message, or that are planned to. */
export function describeParties(parties: readonly CatalogParty[]): string {
  if (parties.length === 0) return 'none yet';
  return parties
    .map((party) => {
      const notes = [...(party.planned === true ? ['planned'] : []), ...(party.note === undefined ? [] : [party.note])];
      return notes.length === 0 ? party.name : `${party.name} (${notes.join('; ')})`;
    })
    .join(', ');
}

const ledger: CatalogParty = { name: 'transactions' };
const planned = (name: string, note?: string): CatalogParty => ({
  name,
  planned: true,
  ...(note === undefined ? {} : { note }),
});

/** Who publishes each ledger command today (beyond any service that chooses to). */
const commandProducers: Record<string, readonly CatalogParty[]> = {
  'ledger.account.open': [{ name: 'any service' }],
  'ledger.transfer.create': [
    { name: 'any service' },
    { name: 'transactions', note: 'the second half of a transfer between partitions' },
  ],
  'ledger.transfer.post': [{ name: 'any service' }],
  'ledger.transfer.void': [{ name: 'any service' }],
  'ledger.hold.expire': [
    {
      name: 'transactions',
      note: 'its hold sweeper, with LEDGER_COMMAND_ROUTE=queue, straight to the partition queue',
    },
  ],
};

/** Who publishes each domain event (the others are planned). */
const eventProducers: Record<string, readonly CatalogParty[]> = {
  'gateway.user.registered': [{ name: 'gateway' }],
  'payments.deposit.succeeded': [{ name: 'payments', note: 'once per deposit, when its provider settled it' }],
  'payments.payout.requested': [{ name: 'payments' }],
  'payments.payout.completed': [{ name: 'payments' }],
  'payments.payout.failed': [{ name: 'payments' }],
  'gateway.send.requested': [planned('gateway', 'today only the demo data of embedded mode')],
  'gateway.trade.executed': [planned('gateway')],
};

/** The ledger events the payments service consumes (queue payments.ledger-events). */
const payoutHoldEvents = new Set(['ledger.transfer.pending', 'ledger.transfer.rejected', 'ledger.transfer.voided']);

const producersOfEvent = (type: string): readonly CatalogParty[] =>
  eventProducers[type] ?? [planned(type.split('.')[0] ?? 'unknown')];

export const messageCatalog: readonly CatalogEntry[] = [
  ...ledgerCommands.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.commands,
    routingKey: commandRoutingKey(schema.$id!),
    producers: commandProducers[schema.$id!] ?? [{ name: 'any service' }],
    consumers: [ledger],
    schema,
  })),
  ...domainEvents.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.events,
    routingKey: schema.$id!,
    producers: producersOfEvent(schema.$id!),
    consumers: [ledger],
    schema,
  })),
  ...ledgerEvents.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.events,
    routingKey: schema.$id!,
    producers: [ledger],
    // A command's sender can ask for its outcome with reply_to; the payments service follows its payouts' holds.
    consumers: [
      ...(payoutHoldEvents.has(schema.$id!)
        ? [{ name: 'payments', note: 'the holds of its payouts (payout:<id>)' }]
        : []),
      planned('gateway'),
      planned('notifications'),
    ],
    schema,
  })),
];

const compiled = new Map<string, TypeCheck<TObject>>();

/**
 * RFC 3339 date-time (`Timestamp`): TypeBox knows no formats until they are
 * registered, and refuses values of an unknown one. The calendar date and the
 * clock must exist (no 30 February, no 25 o'clock); a leap second (:60) is
 * refused, because a JavaScript Date cannot hold it and the ledger stores
 * `effectiveAt` as one.
 */
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
export function isRfc3339DateTime(value: string): boolean {
  const match = rfc3339.exec(value);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  const calendar = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const offsetOk = match[9] === undefined || (Number(match[9]) <= 23 && Number(match[10]) <= 59);
  return calendar && hour <= 23 && minute <= 59 && second <= 59 && offsetOk && !Number.isNaN(Date.parse(value));
}
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isRfc3339DateTime);

/** A compiled validator for a message type (compiled once). */
export function validatorFor(type: string): TypeCheck<TObject> | undefined {
  const cached = compiled.get(type);
  if (cached !== undefined) return cached;
  const entry = messageCatalog.find((candidate) => candidate.type === type);
  if (entry === undefined) return undefined;
  const check = TypeCompiler.Compile(entry.schema);
  compiled.set(type, check);
  return check;
}

/** AsyncAPI 3 document generated from the schemas. */
export function asyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const entry of messageCatalog) {
    const key = entry.type.replaceAll('.', '_');
    messages[key] = { name: entry.type, title: entry.type, summary: entry.schema.description, payload: entry.schema };
    channels[key] = {
      // The AMQP routing key, on the exchange named in bindings.amqp.
      address: entry.routingKey,
      description: `exchange ${entry.exchange}, routing key ${entry.routingKey}; produced by ${describeParties(entry.producers)}; consumed by ${describeParties(entry.consumers)}`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: entry.exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
          bindingVersion: '0.3.0',
        },
      },
    };
    operations[key] = {
      // From the ledger's side: it sends its events and receives everything else.
      action: entry.producers.some((party) => party.name === 'transactions' && party.note === undefined)
        ? 'send'
        : 'receive',
      channel: { $ref: `#/channels/${key}` },
      summary: entry.schema.description,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Transactions50 messages',
      version,
      description:
        'Every message is an envelope {id, type, version, occurredAt?, data}; the AMQP message id equals id. Each channel address is the routing key on its exchange (bindings.amqp.exchange): ledger.command.<type> on t50.commands for commands, the type itself on t50.events for events. With several ledger partitions a producer may append .p<k> (the partition) to the routing key; without it the ledger routes the message itself. Amounts are decimal strings in minor units. Producers and consumers marked planned have no code yet.',
    },
    servers: { rabbitmq: { host: '127.0.0.1:5672', protocol: 'amqp' } },
    channels,
    operations,
    components: { messages },
  };
}

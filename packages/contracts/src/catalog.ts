/**
 * Every message schema in one list, with who sends it and where: the source of
 * the AsyncAPI document (docs/asyncapi.json) and of runtime validation.
 */
import { FormatRegistry, type TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { domainEvents } from './events';
import { exchanges, ledgerCommands, ledgerEvents } from './ledger';

export interface CatalogEntry {
  readonly type: string;
  readonly exchange: string;
  readonly producer: string;
  readonly consumer: string;
  readonly schema: TObject;
}

const producerOf = (type: string): string => type.split('.')[0] ?? 'unknown';

export const messageCatalog: readonly CatalogEntry[] = [
  ...ledgerCommands.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.commands,
    producer: 'any service',
    consumer: 'transactions',
    schema,
  })),
  ...domainEvents.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.events,
    producer: producerOf(schema.$id!),
    consumer: 'transactions',
    schema,
  })),
  ...ledgerEvents.map((schema) => ({
    type: schema.$id!,
    exchange: exchanges.events,
    producer: 'transactions',
    consumer: 'notifications, gateway, web (via gateway)',
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
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
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
      address: entry.type,
      description: `exchange ${entry.exchange}, routing key ${entry.type}; produced by ${entry.producer}, consumed by ${entry.consumer}`,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
    };
    operations[key] = {
      action: entry.producer === 'transactions' ? 'send' : 'receive',
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
        'Every message is an envelope {id, type, version, occurredAt?, data}; the AMQP message id equals id and the routing key equals type. Amounts are decimal strings in minor units.',
    },
    servers: { rabbitmq: { host: '127.0.0.1:5672', protocol: 'amqp' } },
    channels,
    operations,
    components: { messages },
  };
}

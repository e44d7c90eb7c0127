/**
 * `npm run docs`: writes the generated documents under docs/ from their one
 * source, the code:
 *
 *   docs/asyncapi.json            asyncApiDocument() of @t50/contracts
 *   docs/messages.md              messageCatalog and the rejection codes, as tables
 *   docs/openapi/<service>.json   each embedded service's running Fastify app (app.swagger())
 *   docs/configuration.md         every service's typed config spec (doc, default, secret)
 *
 * `generateDocs()` builds them in memory; test/repo/docs.test.ts compares
 * them with the committed files and fails when a schema changed without
 * `npm run docs`. Output goes through prettier, so `npm run format` leaves it be.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { authConfigSpec } from '@t50/auth';
import { gatewayConfigSpec } from '@t50/gateway';
import { paymentsConfigSpec } from '@t50/payments';
import { asyncApiDocument, describeParties, messageCatalog, rejectionCodes } from '@t50/contracts';
import { embeddedConfigSpec, embeddedServices, loadEmbeddedConfig } from '@t50/embedded';
import {
  commonConfig,
  createLifecycle,
  createLogger,
  createMemoryBroker,
  createMemoryTransport,
  createPgliteDatabase,
  type ConfigSpec,
} from '@t50/kit';
import { transactionsConfigSpec } from '@t50/transactions/config';
import * as prettier from 'prettier';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contractsVersion = '0.1.0';

/** Path relative to the repository root -> file content. */
export type GeneratedDocs = Map<string, string>;

export async function generateDocs(): Promise<GeneratedDocs> {
  const docs: GeneratedDocs = new Map();
  docs.set('docs/asyncapi.json', json(asyncApiDocument(contractsVersion)));
  docs.set('docs/messages.md', messagesMarkdown());
  for (const [name, document] of await openApiDocuments()) docs.set(`docs/openapi/${name}.json`, json(document));
  docs.set('docs/configuration.md', configurationMarkdown());
  const formatted: GeneratedDocs = new Map();
  for (const [path, text] of docs) {
    const filepath = join(repositoryRoot, path);
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    formatted.set(path, await prettier.format(text, { ...options, filepath }));
  }
  return formatted;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A Markdown table cell: no pipes or line breaks inside. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

// ---- messages ----------------------------------------------------------------

interface SchemaLike {
  type?: string;
  const?: unknown;
  anyOf?: SchemaLike[];
  properties?: Record<string, SchemaLike>;
  required?: string[];
  items?: SchemaLike;
  patternProperties?: Record<string, SchemaLike>;
  pattern?: string;
  format?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
}

function typeOf(schema: SchemaLike): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeOf).join(' or ');
  switch (schema.type) {
    case 'string': {
      const limits = [
        schema.format === undefined ? undefined : schema.format,
        schema.pattern === undefined ? undefined : `\`${schema.pattern}\``,
        schema.maxLength === undefined ? undefined : `at most ${schema.maxLength} characters`,
      ].filter((part) => part !== undefined);
      return limits.length === 0 ? 'string' : `string (${limits.join(', ')})`;
    }
    case 'integer':
    case 'number': {
      const range = [
        schema.minimum === undefined ? undefined : `>= ${schema.minimum}`,
        schema.maximum === undefined ? undefined : `<= ${schema.maximum}`,
      ].filter((part) => part !== undefined);
      return range.length === 0 ? schema.type : `${schema.type} (${range.join(', ')})`;
    }
    case 'array': {
      const count = [
        schema.minItems === undefined ? undefined : `${schema.minItems}`,
        schema.maxItems === undefined ? undefined : `${schema.maxItems}`,
      ];
      const items = schema.items === undefined ? 'any' : typeOf(schema.items);
      return `array of ${items}${count[0] !== undefined || count[1] !== undefined ? ` (${count[0] ?? '0'} to ${count[1] ?? 'any'})` : ''}`;
    }
    case 'object': {
      if (schema.patternProperties !== undefined) {
        const [[keyPattern, value] = ['', {}]] = Object.entries(schema.patternProperties);
        return `object: keys \`${keyPattern}\` -> ${typeOf(value)}${schema.maxProperties === undefined ? '' : `, at most ${schema.maxProperties} keys`}`;
      }
      return 'object';
    }
    case 'boolean':
    case 'null':
    case undefined:
    default:
      return schema.type ?? 'any';
  }
}

/** One row per field, nested objects flattened to dotted paths (arrays of objects as `path[]`). */
function fieldRows(schema: SchemaLike, prefix: string, rows: string[][], depth = 0): string[][] {
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push([`\`${path}\``, typeOf(field), required.has(name) ? 'yes' : 'no', field.description ?? '']);
    // Bounded: the contracts nest at most a few levels.
    if (depth < 4 && field.properties !== undefined) fieldRows(field, `${path}.`, rows, depth + 1);
    if (depth < 4 && field.items?.properties !== undefined) fieldRows(field.items, `${path}[].`, rows, depth + 1);
  }
  return rows;
}

function messagesMarkdown(): string {
  const sections = messageCatalog.map((entry) => {
    const schema = entry.schema as TSchema as SchemaLike;
    const data = schema.properties?.data ?? {};
    return [
      `### \`${entry.type}\``,
      '',
      entry.schema.description ?? '',
      '',
      `Exchange \`${entry.exchange}\`, routing key \`${entry.routingKey}\`; produced by ${describeParties(entry.producers)}; consumed by ${describeParties(entry.consumers)}.`,
      '',
      table(['field of `data`', 'type', 'required', 'meaning'], fieldRows(data, '', [])),
    ].join('\n');
  });
  return [
    '# Message catalog',
    '',
    '<!-- Generated by `npm run docs` (scripts/generate-docs.ts) from packages/contracts; do not edit by hand. -->',
    '',
    'Every message on the broker is an envelope `{ id, type, version, occurredAt?, data }`: `id` is chosen by the producer and is the idempotency key (the AMQP message id equals it), `type` names the schema of `data`, `version` is 1. Amounts are decimal strings in minor units (cents, wei). The same schemas validate messages at runtime; the machine-readable form is [asyncapi.json](asyncapi.json).',
    '',
    '## Routing',
    '',
    "Commands go to the topic exchange `t50.commands` with the routing key `ledger.command.<type>` (for example `ledger.command.ledger.account.open`); the ledger's queue is bound to `ledger.command.#`. Events go to `t50.events` with their type as the routing key. With several ledger partitions (`LEDGER_PARTITIONS`), a producer that knows the partition appends `.p<k>` to the routing key; without the suffix the ledger's router forwards the message to its partition. A message published with `mandatory` to a routing key nothing is bound to comes back to its publisher as unroutable. Producers and consumers marked *planned* have no code yet; the table says what the code does today.",
    '',
    '## Summary',
    '',
    table(
      ['type', 'exchange', 'routing key', 'producer', 'consumer', 'what it means'],
      messageCatalog.map((entry) => [
        `\`${entry.type}\``,
        `\`${entry.exchange}\``,
        `\`${entry.routingKey}\``,
        describeParties(entry.producers),
        describeParties(entry.consumers),
        entry.schema.description ?? '',
      ]),
    ),
    '',
    '## Dead letters',
    '',
    'A message the ledger can never apply is moved to the dead-letter queue of its queue (`ledger.inbox.dead`) with its body and headers, plus `x-t50-death-reason` (the reason below, then a short detail), `x-t50-original-exchange`, `x-t50-original-routing-key`, `x-t50-original-queue` and `x-t50-attempt`. Every dead letter carries a reason:',
    '',
    table(
      ['reason', 'when', 'attempts'],
      [
        ['`message_too_large`', 'the body is larger than `LEDGER_MAX_MESSAGE_BYTES`', 'first delivery'],
        ['`too_deep`', 'objects and arrays nested more than 64 levels deep (counted before parsing)', 'first delivery'],
        ['`malformed_json`', 'the body is not JSON', 'first delivery'],
        ['`unknown_type`', 'a type the ledger does not consume', 'first delivery'],
        [
          '`invalid_schema`',
          'the envelope or its `data` does not match the schema (the first error is named)',
          'first delivery',
        ],
        [
          '`write_failed`',
          'the database refused to write this message (its neighbours in the batch are written and acked)',
          'after 5 attempts (retried 0.2, 1, 5 and 5 s apart)',
        ],
        [
          '`delivery_limit`',
          'a consumer crashed or was stopped on the message 19 times in a row',
          'the 20th delivery, before it is handled',
        ],
      ],
    ),
    '',
    'A well-formed command the ledger refuses (no funds, unknown account) is not a dead letter: it is answered with `ledger.transfer.rejected`.',
    '',
    '## Rejection codes',
    '',
    'A well-formed command the ledger refuses produces `ledger.transfer.rejected` with one of these codes (HTTP: the same code in the problem document). See [ledger.md](ledger.md#refusals) for when each happens.',
    '',
    rejectionCodes.map((code) => `- \`${code}\``).join('\n'),
    '',
    '## Messages',
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

// ---- HTTP APIs ---------------------------------------------------------------

/** Builds each embedded service on an in-memory database and asks its app for the OpenAPI document. */
async function openApiDocuments(): Promise<Map<string, unknown>> {
  const documents = new Map<string, unknown>();
  const dataDir = await mkdtemp(join(tmpdir(), 't50-docs-'));
  // Defaults only: the documents must not depend on who runs the generator.
  const config = loadEmbeddedConfig({ EMBEDDED_SEED: 'false' });
  const logger = createLogger({ service: 'docs', level: 'silent' });
  const broker = createMemoryBroker();
  const started = new Map<string, { url: string; keys: Record<string, string> }>();
  const closers: (() => Promise<void>)[] = [];
  try {
    for (const definition of embeddedServices) {
      const db = await createPgliteDatabase({});
      closers.push(() => db.close());
      const transport = createMemoryTransport({ logger, broker });
      closers.push(() => transport.close());
      const service = await definition.start({
        config,
        dataDir,
        // Never listened on: the documents name no port.
        url: 'http://127.0.0.1',
        logger,
        lifecycle: createLifecycle(logger),
        db,
        transport,
        started,
        secret: (_name, make) =>
          Promise.resolve({ value: make?.() ?? 'docs-generator-key-0123456789abcdef', path: join(dataDir, 'key') }),
        storeSecret: () => Promise.resolve(join(dataDir, 'key')),
      });
      closers.push(() => service.close());
      await service.app.ready();
      documents.set(definition.name, service.app.swagger());
      started.set(definition.name, {
        url: `http://127.0.0.1:${4000 + definition.portOffset}`,
        keys: { ...service.keys },
      });
    }
  } finally {
    for (const close of closers.reverse()) await close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return new Map([...documents].sort(([a], [b]) => a.localeCompare(b)));
}

// ---- configuration -----------------------------------------------------------

interface ConfigSection {
  readonly title: string;
  readonly intro: string;
  readonly spec: ConfigSpec;
}

const sections: readonly ConfigSection[] = [
  {
    title: 'Every service',
    intro: 'Read by every standalone service (and embedded mode, except Consul: one process registers nothing).',
    spec: commonConfig,
  },
  {
    title: 'transactions (the ledger)',
    intro: 'services/transactions/src/config.ts; `npm run -w @t50/transactions start`.',
    spec: withoutCommon(transactionsConfigSpec),
  },
  {
    title: 'auth',
    intro:
      'services/auth/src/config.ts; `npm run -w @t50/auth start`. One of the two database URLs is required standalone.',
    spec: withoutCommon(authConfigSpec),
  },
  {
    title: 'gateway',
    intro:
      'services/gateway/src/config.ts; `npm run -w @t50/gateway start`. AUTH_API_KEY, TRANSACTIONS_API_KEY and JWT_PRIVATE_KEY are required standalone.',
    spec: withoutCommon(gatewayConfigSpec),
  },
  {
    title: 'payments',
    intro:
      'services/payments/src/config.ts; `npm run -w @t50/payments start`. Stripe and PayPal need their keys when PAYMENTS_PROVIDERS names them; each secret may be given as `<KEY>_FILE` instead.',
    spec: withoutCommon(paymentsConfigSpec),
  },
  {
    title: 'embedded mode',
    intro:
      "apps/embedded/src/config.ts; `npm start`. The LEDGER_*, ARGON2_*, RATE_LIMIT_* and ACCESS_TOKEN_TTL_SECONDS keys are the services' own, with the same meaning. Database URLs, RABBITMQ_URL, REDIS_URL and the API and signing keys are not read: each service gets a PGlite database under the data folder and the in-process transport, the gateway keeps its hot data in memory, and the keys are generated into `<data>/secrets/`. The gateway's refresh cookie is not marked Secure (plain HTTP on localhost) and a sandbox reviewer approves KYC level 2 at once.",
    spec: withoutCommon(embeddedConfigSpec),
  },
];

function withoutCommon(spec: ConfigSpec): ConfigSpec {
  return Object.fromEntries(Object.entries(spec).filter(([name]) => !(name in commonConfig)));
}

function defaultText(key: ConfigSpec[string]): string {
  if (key.default === undefined) return '**required**';
  if (key.default === '') return '(empty: off)';
  const value: unknown = key.default;
  const shown =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);
  // A default URL may carry a well-known dev password (guest:guest): show that it has one, not what it is.
  if (key.secret === true) return `\`${shown.replace(/\/\/[^@/]*@/, '//…@')}\` (secret)`;
  return `\`${shown}\``;
}

function configurationMarkdown(): string {
  const secrets = sections.flatMap((section) =>
    Object.entries(section.spec)
      .filter(([, key]) => key.secret === true)
      .map(([name]) => `\`${name}\``),
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated by `npm run docs` (scripts/generate-docs.ts) from the typed config specs; do not edit by hand. -->',
    '',
    "Each service reads its environment once, at start, through its typed config module (the kit's `loadConfig`), and stops with the names of every key that is missing or wrong, never with a value. Nothing else reads `process.env`.",
    '',
    `Secrets come from the environment only and are never logged: ${[...new Set(secrets)].join(', ')}. In embedded mode the API keys are generated into the data folder instead (\`.data/secrets/\`, mode 0600).`,
    '',
    ...sections.flatMap((section) => [
      `## ${section.title}`,
      '',
      section.intro,
      '',
      table(
        ['variable', 'default', 'meaning'],
        Object.entries(section.spec).map(([name, key]) => [`\`${name}\``, defaultText(key), key.doc]),
      ),
      '',
    ]),
  ].join('\n');
}

// ---- main --------------------------------------------------------------------

async function main(): Promise<void> {
  const docs = await generateDocs();
  for (const [path, text] of docs) {
    const target = join(repositoryRoot, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    console.log(`wrote ${path}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}

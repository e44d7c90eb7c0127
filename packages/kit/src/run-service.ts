/**
 * The one start path of a standalone service: read the configuration, connect
 * to each dependency within a deadline, start, say so, and own the exit code.
 *
 * - A bad configuration prints the service name and the keys that are missing
 *   or wrong to stderr (never a value, never a stack trace) and exits 1.
 * - A dependency that cannot be reached (PostgreSQL, RabbitMQ, Redis) within
 *   its deadline fails the start: one line `<service>: start failed: <dependency>: <reason>`
 *   on stderr (credentials in URLs are masked), a fatal log record, the
 *   closers registered so far run (bounded), and the process exits 1. Each
 *   dependency has its own deadline (12 s by default), so an unreachable one
 *   ends the process within about 15 s; the whole start is bounded by `startTimeoutMs`.
 * - Once ready, one human line on stdout: `<service> listening on <url>`.
 * - After that, SIGTERM/SIGINT and fatal errors are handled by the lifecycle.
 */
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { registerWithConsul } from './consul';
import { createPostgresDatabase, ensureDatabaseExists, runMigrations, type Database } from './db';
import type { HttpServer } from './http';
import { initTracing } from './tracing';
import { createRabbitTransport, type Transport } from './transport';
import { createLifecycle, handleProcessSignals, type Lifecycle } from './lifecycle';
import { createLogger } from './logger';
import { withTimeout } from './timeout';
import type { BuiltService, CommonServiceConfig, ServiceDefinition } from './service-definition';

/** Deadline of one dependency's connection (each service has at most a few). */
export const defaultDependencyTimeoutMs = 12_000;
/** Deadline of the whole start (migrations and recovery included); past it the process reports and exits 1. */
export const defaultStartTimeoutMs = 120_000;
/** How long the failure path waits for closers before exiting anyway. */
const failureCloseTimeoutMs = 3_000;

/** A dependency that could not be reached: names it, without its URL or credentials. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  constructor(
    readonly dependency: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency}: ${reason}`, options);
  }
}

export interface StartContext<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /**
   * Connects to a dependency within its deadline. A failure or timeout becomes
   * a `DependencyError` naming `dependency`; `abandon` (if given) releases
   * whatever a late or failed connection left behind (a client that keeps
   * reconnecting in the background would keep the process alive).
   */
  readonly dependency: <T>(dependency: string, connect: () => Promise<T>, options?: DependencyOptions<T>) => Promise<T>;
  /**
   * The service's PostgreSQL database: created if missing (within the
   * dependency deadline), `prepare` run on it first (migrations), then a pool
   * closed at shutdown.
   */
  readonly postgres: (
    url: string,
    options?: { readonly maxConnections?: number; readonly prepare?: (url: string) => Promise<unknown> },
  ) => Promise<Database>;
  /** A RabbitMQ connection within the dependency deadline, closed at shutdown. */
  readonly rabbitmq: (url: string) => Promise<Transport>;
  /**
   * Listens on `host:port` (0: any free port), registers with Consul when
   * CONSUL_HTTP_ADDR is set (deregistered first at shutdown), and returns the
   * URL. Register the closer of the app before calling it.
   */
  readonly serve: (
    app: HttpServer,
    options: { readonly host: string; readonly port: number; readonly tags?: readonly string[] },
  ) => Promise<string>;
}

export interface DependencyOptions<T> {
  readonly timeoutMs?: number;
  /** Called when the connection failed or timed out (best effort, not awaited beyond a short bound). */
  readonly abandon?: () => Promise<void> | void;
  /** Called with the connection if it arrives after the deadline. */
  readonly closeLate?: (value: T) => Promise<void> | void;
}

/** The start path without a definition (`runService` builds one of these from a definition). */
export interface StartPathOptions<C extends CommonServiceConfig> {
  /** Shown in every line the runner prints, e.g. 'transactions'. */
  readonly name: string;
  readonly loadConfig: () => C;
  /** Starts the service and returns the URL it listens on. */
  readonly start: (context: StartContext<C>) => Promise<{ readonly url: string }>;
  readonly startTimeoutMs?: number;
}

/** Masks the credentials of any URL in `text` (`scheme://user:password@` becomes `scheme://***@`). */
export function maskCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/** What a failed start says: the dependency and a short reason, no URL credentials, no stack. */
export function describeStartFailure(error: unknown): string {
  if (error instanceof DependencyError) return maskCredentials(error.message);
  if (error instanceof Error) return maskCredentials(error.message === '' ? error.name : error.message);
  return maskCredentials(String(error));
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message === '' ? error.name : error.message;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Runs a service standalone from its definition (service-definition.ts): the
 * configuration, the database (created if missing, migrated through one
 * connection, then pooled), RabbitMQ when `standalone.broker` names it, the
 * extras, `build`, then listening and Consul. Never returns a rejected
 * promise: every failure ends the process with exit code 1. A service's
 * `main.ts` is `await runService(<name>Definition)`.
 */
export function runService<C extends CommonServiceConfig, X, S extends BuiltService>(
  definition: ServiceDefinition<C, X, S>,
): Promise<void> {
  const { name, standalone } = definition;
  return runStartPath({
    name,
    loadConfig() {
      const config = definition.loadConfig();
      // A missing database URL is a configuration error, reported as one.
      standalone.database(config);
      return config;
    },
    ...(standalone.startTimeoutMs === undefined ? {} : { startTimeoutMs: standalone.startTimeoutMs }),
    async start(context) {
      const { config, logger, lifecycle } = context;
      const database = standalone.database(config);
      const db = await context.postgres(database.url, {
        ...(database.maxConnections === undefined ? {} : { maxConnections: database.maxConnections }),
        prepare: (url) => migrateThroughOneConnection(url, definition.migrations, `${name}-migrate`, logger),
      });
      const transport = standalone.broker === undefined ? undefined : await context.rabbitmq(standalone.broker(config));
      // Without `standalone.extras` the definition's Extras has no keys (see StandaloneParts.extras).
      const extras = standalone.extras === undefined ? ({} as X) : await standalone.extras(context);
      const service = await definition.build({ config, db, transport, logger, lifecycle, extras });
      lifecycle.onClose('service', () => service.close());
      return { url: await context.serve(service.app, standalone.listen(config)) };
    },
  });
}

/**
 * Applies pending migrations through a connection of its own, closed after
 * (the migration lock is taken and released on one connection).
 */
export async function migrateThroughOneConnection(
  url: string,
  directory: string,
  applicationName: string,
  logger: Logger,
): Promise<string[]> {
  const db = createPostgresDatabase({ url, maxConnections: 1, applicationName });
  try {
    return await runMigrations(db, directory, logger);
  } finally {
    await db.close();
  }
}

/**
 * The start path itself, for a service without a definition: runs `start`
 * within the deadlines and owns the exit code. Never returns a rejected
 * promise: every failure ends the process with exit code 1.
 */
export async function runStartPath<C extends CommonServiceConfig>(options: StartPathOptions<C>): Promise<void> {
  const { name } = options;
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    process.stderr.write(configErrorText(name, error));
    process.exitCode = 1;
    process.exit(1);
  }
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  logger.info('starting');
  const lifecycle = createLifecycle(logger);
  handleProcessSignals(lifecycle, logger);
  // Registered first, so it closes last: the spans of the shutdown are exported too.
  lifecycle.onClose('tracing', initTracing({ serviceName: name, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }));
  const dependency: StartContext<C>['dependency'] = (dependencyName, connect, dependencyOptions) =>
    connectDependency(dependencyName, connect, dependencyOptions ?? {});
  const context: StartContext<C> = {
    config,
    logger,
    lifecycle,
    dependency,
    async postgres(url, databaseOptions = {}) {
      await dependency('PostgreSQL', () => ensureDatabaseExists(url));
      await databaseOptions.prepare?.(url);
      const db = createPostgresDatabase({
        url,
        applicationName: name,
        ...(databaseOptions.maxConnections === undefined ? {} : { maxConnections: databaseOptions.maxConnections }),
      });
      lifecycle.onClose('database', () => db.close());
      return db;
    },
    async rabbitmq(url) {
      const transport = await dependency('RabbitMQ', () =>
        createRabbitTransport({ url, logger, connectionName: name }),
      );
      lifecycle.onClose('broker', () => transport.close());
      return transport;
    },
    async serve(app, serveOptions) {
      await app.listen({ host: serveOptions.host, port: serveOptions.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : serveOptions.port;
      if (config.CONSUL_HTTP_ADDR !== '') {
        const deregister = await registerWithConsul(
          {
            consulAddress: config.CONSUL_HTTP_ADDR,
            serviceName: name,
            serviceId: `${name}-${config.SERVICE_ADVERTISE_HOST}-${port}`,
            host: config.SERVICE_ADVERTISE_HOST,
            port,
            tags: serveOptions.tags ?? ['http', 'v1'],
          },
          logger,
        );
        // Registered last, so it runs first: leave the catalogue before the server stops.
        lifecycle.onClose('consul', deregister);
      }
      return `http://${serveOptions.host}:${port}`;
    },
  };
  const startTimeoutMs = options.startTimeoutMs ?? defaultStartTimeoutMs;
  try {
    const { url } = await withTimeout(
      options.start(context),
      startTimeoutMs,
      () => new Error(`not ready within ${startTimeoutMs} ms`),
    );
    process.stdout.write(`${name} listening on ${url}\n`);
  } catch (error) {
    const reason = describeStartFailure(error);
    logger.fatal(
      { dependency: error instanceof DependencyError ? error.dependency : undefined, reason },
      'start failed',
    );
    process.stderr.write(`${name}: start failed: ${reason}\n`);
    // Close what did open, but never wait long: a half-open client must not hold the exit.
    await withTimeout(
      lifecycle.shutdown('start failed'),
      failureCloseTimeoutMs,
      () => new Error('close timed out'),
    ).catch(() => undefined);
    process.exit(1);
  }
}

async function connectDependency<T>(
  dependency: string,
  connect: () => Promise<T>,
  options: DependencyOptions<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultDependencyTimeoutMs;
  let timedOut = false;
  const attempt = connect();
  try {
    return await withTimeout(attempt, timeoutMs, () => {
      timedOut = true;
      return new Error(`not reachable within ${timeoutMs} ms`);
    });
  } catch (error) {
    if (timedOut && options.closeLate !== undefined) {
      const closeLate = options.closeLate;
      attempt.then(
        (value) => closeLate(value),
        () => undefined,
      );
    }
    if (options.abandon !== undefined) {
      await withTimeout(Promise.resolve(options.abandon()), 1_000, () => new Error('abandon timed out')).catch(
        () => undefined,
      );
    }
    const reason = maskCredentials(reasonOf(error));
    throw new DependencyError(
      dependency,
      reason.startsWith(`${dependency}: `) ? reason.slice(dependency.length + 2) : reason,
      {
        cause: error,
      },
    );
  }
}

function configErrorText(name: string, error: unknown): string {
  if (error instanceof ConfigError) {
    return [
      `${name}: invalid configuration; fix these environment variables:`,
      ...error.problems.map((problem) => `  - ${problem}`),
      '',
    ].join('\n');
  }
  return `${name}: could not read the configuration: ${describeStartFailure(error)}\n`;
}

/**
 * A service, described once: its name, its configuration, its migrations, and
 * how to build it (routes, consumers, background jobs) from its dependencies.
 * Standalone mode runs a definition with `runService` (run-service.ts: real
 * PostgreSQL, RabbitMQ, Consul); embedded mode (apps/embedded) runs the same
 * definition on its own schema of the shared PGlite and the in-process broker,
 * and adds only what is embedded-specific (generated keys, demo data, an
 * in-memory hot store). Both run the migrations before `build`.
 */
import type { Logger } from 'pino';
import type { ConfigSpec } from './config';
import type { Database } from './db';
import type { HttpServer } from './http';
import type { Lifecycle } from './lifecycle';
import type { StartContext } from './run-service';
import type { Transport } from './transport';

/** What `build` is given. */
export interface ServiceDeps<Config, Extras> {
  readonly config: Config;
  /** The service's own database, migrated already. Closed by its owner after `close()`. */
  readonly db: Database;
  /**
   * The broker: RabbitMQ standalone (when the definition names one in
   * `standalone.broker`), the in-process broker in embedded mode. Undefined
   * for a standalone service without a broker; `needTransport(deps)` says so.
   */
  readonly transport: Transport | undefined;
  /** The service's root logger (its name on every line). */
  readonly logger: Logger;
  /** Register closers of what `build` opens beyond the returned `close()`; they run in reverse order. */
  readonly lifecycle: Lifecycle;
  /** What differs between the modes, named by the service (e.g. the gateway's hot store: Redis or memory). */
  readonly extras: Extras;
}

/** What `build` returns: the HTTP app, not listening yet (the runner listens), and how to stop its work. */
export interface BuiltService {
  readonly app: HttpServer;
  /** Stops consumers, jobs and HTTP; the database and transport stay open (the runner closes them after). */
  close(): Promise<void>;
}

/** Where a standalone service's host and port come from. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** Consul tags; default ['http', 'v1']. */
  readonly tags?: readonly string[];
}

/** The configuration keys every service has (the kit's `commonConfig`). */
export interface CommonServiceConfig {
  readonly LOG_LEVEL: string;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT: string;
  readonly CONSUL_HTTP_ADDR: string;
  readonly SERVICE_ADVERTISE_HOST: string;
}

/**
 * One service. `Config` is its configuration type (from `loadConfig`),
 * `Extras` what it needs beyond the common dependencies (default none), and
 * `Service` what `build` returns (embedded mode may use more of it than the
 * app, e.g. the ledger's writer to record sample data).
 */
export interface ServiceDefinition<
  Config extends CommonServiceConfig,
  Extras = NoExtras,
  Service extends BuiltService = BuiltService,
> {
  /** Lower case, letters, digits and _: its log name, its Consul name, its schema in embedded mode. */
  readonly name: string;
  /** The configuration keys (docs/configuration.md is generated from them). */
  readonly configSpec: ConfigSpec;
  /** Reads and checks the configuration; `environment` defaults to process.env. Throws ConfigError. */
  readonly loadConfig: (environment?: Record<string, string | undefined>) => Config;
  /** Folder of the SQL migrations (`<timestamp>_<what>.sql`), applied before `build` in both modes. */
  readonly migrations: string;
  /** Builds the service on its dependencies: routes, consumers, jobs. Does not listen. */
  readonly build: (deps: ServiceDeps<Config, Extras>) => Promise<Service>;
  /** What only a standalone run needs; embedded mode ignores it. */
  readonly standalone: StandaloneParts<Config, Extras>;
}

export type NoExtras = Readonly<Record<never, never>>;

export interface StandaloneParts<Config, Extras> {
  /**
   * The PostgreSQL database: created if missing, migrated through one
   * connection, then pooled. May throw ConfigError (reported as a
   * configuration error before anything starts).
   */
  readonly database: (config: Config) => { readonly url: string; readonly maxConnections?: number };
  /** The RabbitMQ URL, when the service uses the broker; leave it out otherwise. */
  readonly broker?: (config: Config) => string;
  readonly listen: (config: Config) => ListenOptions;
  /**
   * Connects the extras (e.g. Redis), each within its deadline through
   * `context.dependency`, registering their closers. Required when `Extras`
   * has keys; without it the service gets `{}`.
   */
  readonly extras?: (context: StartContext<Config>) => Promise<Extras>;
  /** Deadline of the whole start; default `defaultStartTimeoutMs`. */
  readonly startTimeoutMs?: number;
}

/** The transport of a service that uses the broker; throws if its definition has no `standalone.broker`. */
export function needTransport(deps: Pick<ServiceDeps<unknown, unknown>, 'transport'>): Transport {
  if (deps.transport === undefined)
    throw new Error('this service uses the broker: give its definition a standalone.broker');
  return deps.transport;
}

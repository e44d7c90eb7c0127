/**
 * How embedded mode runs a service definition (the same one its `main.ts`
 * runs standalone): `embed` adds only what is embedded-specific, the
 * platform (platform.ts) gives each service its own schema of the shared
 * PGlite and its own transport on the shared broker, and listens.
 */
import {
  runMigrations,
  type BuiltService,
  type CommonServiceConfig,
  type Database,
  type HttpServer,
  type Lifecycle,
  type Logger,
  type ServiceDefinition,
  type Transport,
} from '@t50/kit';
import type { EmbeddedConfig } from './config';

export interface StartedInfo {
  readonly url: string;
  /** Keys this service hands to the ones started after it, e.g. the API key to call it with. */
  readonly keys: Readonly<Record<string, string>>;
}

export interface EmbeddedContext {
  readonly config: EmbeddedConfig;
  readonly dataDir: string;
  /** Where this service will listen (chosen before it starts, so it can name its own URL). */
  readonly url: string;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** The service's own database (its schema of the shared PGlite); closed by the platform. */
  readonly db: Database;
  /** The service's own connection to the in-process broker; closed by the platform. */
  readonly transport: Transport;
  /** Services started before this one, by name. */
  readonly started: ReadonlyMap<string, StartedInfo>;
  /** Reads a generated secret from the data folder, or makes one (`make`, default 32 random bytes) and keeps it. */
  readonly secret: (name: string, make?: () => string) => Promise<{ value: string; path: string }>;
  /** Stores a secret in the data folder (owner-only); returns its path. */
  readonly storeSecret: (name: string, value: string) => Promise<string>;
}

/** What a service hands over once built. */
export interface Handover {
  readonly keys?: Readonly<Record<string, string>>;
  /** Lines for the start banner (where a key is, what to try). */
  readonly notes?: readonly string[];
  /** A page for people (the web app), when the service serves one: appended to its URL ('' for the root). */
  readonly browserPath?: string;
}

export interface StartedService extends Handover {
  /** Built, not listening: the platform listens. */
  readonly app: HttpServer;
  /** Stops the service's own work; the platform then closes its transport and database. */
  close(): Promise<void>;
}

/** A service as the platform runs it (made by `embed`). */
export interface EmbeddedService {
  readonly name: string;
  /** Listens on EMBEDDED_PORT + portOffset (any free port when EMBEDDED_PORT is 0). */
  readonly portOffset: number;
  start(context: EmbeddedContext): Promise<StartedService>;
}

/** What embedded mode adds to a service definition. */
export interface EmbeddedAdapter<Config extends CommonServiceConfig, Extras, Service extends BuiltService> {
  readonly definition: ServiceDefinition<Config, Extras, Service>;
  readonly portOffset: number;
  /**
   * Configuration values embedded mode makes, as environment strings, parsed
   * by the service's own spec (its defaults fill the rest); the keys of
   * embedded mode's own configuration that are also in that spec (LOG_LEVEL,
   * the tuning keys) apply too, unless given here.
   */
  readonly environment?: (context: EmbeddedContext) => Promise<Record<string, string>>;
  /** The definition's extras, made in process (required when it has extras). */
  readonly extras?: (context: EmbeddedContext) => Promise<Extras>;
  /** Once built: demo data, keys for the services started after it, banner lines. */
  readonly started?: (service: Service, context: EmbeddedContext) => Promise<Handover>;
}

/**
 * The service's configuration in embedded mode: `made` parsed by its own spec,
 * and the keys embedded mode reads that the spec also has (already parsed by
 * the same key definitions: config.ts takes them from the services' specs).
 */
function configOf<Config extends CommonServiceConfig>(
  definition: Pick<ServiceDefinition<Config>, 'configSpec' | 'loadConfig'>,
  embedded: EmbeddedConfig,
  made: Record<string, string>,
): Config {
  const shared = Object.entries(embedded).filter(([key]) => key in definition.configSpec && !(key in made));
  return Object.assign(definition.loadConfig(made), Object.fromEntries(shared));
}

/** Adapts a service definition to embedded mode. */
export function embed<Config extends CommonServiceConfig, Extras, Service extends BuiltService>(
  adapter: EmbeddedAdapter<Config, Extras, Service>,
): EmbeddedService {
  const { definition } = adapter;
  return {
    name: definition.name,
    portOffset: adapter.portOffset,
    async start(context) {
      const config = configOf(definition, context.config, (await adapter.environment?.(context)) ?? {});
      await runMigrations(context.db, definition.migrations, context.logger);
      // Without `extras` the definition's Extras has no keys (as with its standalone part).
      const extras = adapter.extras === undefined ? ({} as Extras) : await adapter.extras(context);
      const { db, transport, logger, lifecycle } = context;
      const service = await definition.build({ config, db, transport, logger, lifecycle, extras });
      try {
        const handover = (await adapter.started?.(service, context)) ?? {};
        return { ...handover, app: service.app, close: () => service.close() };
      } catch (error) {
        await service.close();
        throw error;
      }
    },
  };
}

/**
 * What embedded mode runs. Each service is a definition: a name, a port offset
 * and a `start` that builds the service on what the platform hands it (its own
 * PGlite database, its own in-process transport on the shared broker, the
 * keys and URLs of the services started before it). The platform listens,
 * prints the URL and owns shutdown.
 *
 * To add a service, write `services/<name>.ts` exporting a definition and add
 * it to `embeddedServices` after the services it needs (the gateway: after
 * auth and transactions, whose keys and URLs it reads from `started`).
 */
import type { Database, HttpServer, Logger, Transport } from '@t50/kit';
import type { EmbeddedConfig } from './config';
import { authService } from './services/auth';
import { gatewayService } from './services/gateway';
import { transactionsService } from './services/transactions';

export interface StartedInfo {
  readonly url: string;
  /** Keys this service hands to the ones started after it, e.g. the API key to call it with. */
  readonly keys: Readonly<Record<string, string>>;
}

export interface EmbeddedContext {
  readonly config: EmbeddedConfig;
  readonly dataDir: string;
  readonly logger: Logger;
  /** The service's own database (PGlite under the data folder), migrated by the service; closed by the platform. */
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

export interface StartedService {
  /** Built, not listening: the platform listens. */
  readonly app: HttpServer;
  /** Stops the service's own work; the platform then closes its transport and database. */
  close(): Promise<void>;
  readonly keys?: Readonly<Record<string, string>>;
  /** Lines for the start banner (where a key is, what to try). */
  readonly notes?: readonly string[];
  /** A page for people (the web app), when the service serves one: appended to its URL ('' for the root). */
  readonly browserPath?: string;
}

export interface EmbeddedService {
  readonly name: string;
  /** Listens on EMBEDDED_PORT + portOffset (any free port when EMBEDDED_PORT is 0). */
  readonly portOffset: number;
  start(context: EmbeddedContext): Promise<StartedService>;
}

/** In start order; a service may use what the ones before it expose. The gateway takes offset 0. */
export const embeddedServices: readonly EmbeddedService[] = [transactionsService, authService, gatewayService];

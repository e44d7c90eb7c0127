/**
 * Starts every embedded service in one process, on one PGlite instance under
 * the data folder: for each, its own schema of it (its own role, search_path
 * set to that schema only: openPgliteCluster) and its own in-process transport
 * on one shared broker (the same contract as RabbitMQ), then its HTTP server.
 * Every resource is registered with the lifecycle as soon as it exists, so a
 * stop (or a failed start) closes exactly what was opened, in reverse order.
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createMemoryBroker, createMemoryTransport, openPgliteCluster, type Lifecycle, type Logger } from '@t50/kit';
import type { EmbeddedConfig } from './config';
import { claimDataFolder, databaseDirectory, readOrCreateSecret, refuseOldLayout, writeSecret } from './data-folder';
import { prepareDatabases } from './database-template';
import type { EmbeddedService, StartedInfo } from './embed';

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly notes: readonly string[];
  /** A page for people to open (the web app), when the service serves one. */
  readonly browserUrl?: string;
}

export interface Platform {
  readonly dataDir: string;
  readonly services: readonly RunningService[];
}

/**
 * A free port on `host`, for a service that must know its own URL before it
 * listens (payments: its sandbox checkout page and webhook target). Only with
 * EMBEDDED_PORT=0 (tests); another process could take it in between, and then
 * the listen fails loudly.
 */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolveListen);
  });
  const address = server.address();
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  if (typeof address !== 'object' || address === null) throw new Error(`no free port on ${host}`);
  return address.port;
}

export async function startPlatform(deps: {
  config: EmbeddedConfig;
  /** Each service's own root logger (its name in every line). */
  loggerFor: (service: string) => Logger;
  lifecycle: Lifecycle;
  services: readonly EmbeddedService[];
}): Promise<Platform> {
  const { config, lifecycle } = deps;
  const dataDir = resolve(config.EMBEDDED_DATA_DIR);
  const release = await claimDataFolder(dataDir);
  lifecycle.onClose('data folder', release);

  refuseOldLayout(
    dataDir,
    deps.services.map(({ name }) => name),
  );
  // A new database is a copy of one empty cluster made once per install: no initdb at each new folder.
  const copied = await prepareDatabases(dataDir, [databaseDirectory(dataDir)]);
  if (copied.length > 0)
    deps.loggerFor('embedded').info({ created: copied }, 'new database copied from the empty cluster');
  const cluster = await openPgliteCluster({ dataDir: databaseDirectory(dataDir) });
  lifecycle.onClose('database', () => cluster.close());

  const broker = createMemoryBroker();
  const started = new Map<string, StartedInfo>();
  const running: RunningService[] = [];
  for (const definition of deps.services) {
    const { name } = definition;
    const serviceLogger = deps.loggerFor(name);
    const openedAt = performance.now();
    const db = await cluster.database(name);
    const transport = createMemoryTransport({ logger: serviceLogger, broker });
    lifecycle.onClose(`${name} transport`, () => transport.close());
    const port =
      config.EMBEDDED_PORT === 0 ? await freePort(config.EMBEDDED_HOST) : config.EMBEDDED_PORT + definition.portOffset;
    const url = `http://${config.EMBEDDED_HOST}:${port}`;
    const service = await definition.start({
      config,
      url,
      dataDir,
      logger: serviceLogger,
      lifecycle,
      db,
      transport,
      started,
      secret: (secretName, make) => readOrCreateSecret(dataDir, secretName, make),
      storeSecret: (secretName, value) => writeSecret(dataDir, secretName, value),
    });
    lifecycle.onClose(name, () => service.close());
    await service.app.listen({ host: config.EMBEDDED_HOST, port });
    started.set(name, { url, keys: service.keys ?? {} });
    running.push({
      name,
      url,
      notes: service.notes ?? [],
      ...(service.browserPath === undefined ? {} : { browserUrl: `${url}${service.browserPath}` }),
    });
    serviceLogger.info({ url, startMs: Math.round(performance.now() - openedAt) }, 'embedded service listening');
  }
  return { dataDir, services: running };
}

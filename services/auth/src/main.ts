/**
 * The composition root for a standalone auth service on a real PostgreSQL.
 * The kit's `runService` owns the start path: configuration errors, tracing,
 * dependency deadlines, Consul, the ready line, graceful shutdown and exit codes.
 */
import { runService } from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from './config';
import { createAuthService, migrateAuthDatabase, serviceName } from './service';

await runService({
  name: serviceName,
  loadConfig: loadAuthConfig,
  async start({ config, logger, lifecycle, postgres, serve }) {
    const db = await postgres(databaseUrlOf(config), { prepare: (url) => migrateAuthDatabase(url, logger) });
    const service = await createAuthService({ db, logger, config, migrate: false });
    lifecycle.onClose('http', () => service.close());
    return { url: await serve(service.app, { host: config.HOST, port: config.PORT }) };
  },
});

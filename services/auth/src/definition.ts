/**
 * Auth as a service definition (@t50/kit's `ServiceDefinition`): run
 * standalone by main.ts (`runService`) on PostgreSQL, and by embedded mode
 * (apps/embedded/src/services/auth.ts) on its schema of the shared PGlite. It
 * uses no broker.
 */
import type { NoExtras, ServiceDefinition } from '@t50/kit';
import { authConfigSpec, databaseUrlOf, loadAuthConfig, type AuthConfig } from './config';
import { createAuthService, migrationsDirectory, serviceName, type AuthService } from './service';

export const authDefinition: ServiceDefinition<AuthConfig, NoExtras, AuthService> = {
  name: serviceName,
  configSpec: authConfigSpec,
  loadConfig: loadAuthConfig,
  migrations: migrationsDirectory,
  build: ({ config, db, logger }) => createAuthService({ db, logger, config, migrate: false }),
  standalone: {
    database: (config) => ({ url: databaseUrlOf(config) }),
    listen: (config) => ({ host: config.HOST, port: config.PORT }),
  },
};

export {
  createAuthService,
  ensureEmbeddedGatewayKey,
  migrateAuthDatabase,
  migrationsDirectory,
  serviceName,
  type AuthService,
  type AuthServiceDeps,
} from './service';
export { authConfigSpec, databaseUrlOf, loadAuthConfig, type AuthConfig, type AuthServiceConfig } from './config';
export { embeddedGatewayKeyName } from './keys/service';
export { apiKeyHeader } from './keys/hooks';
export { authDefinition } from './definition';

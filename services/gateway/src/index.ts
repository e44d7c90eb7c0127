export {
  createGatewayService,
  migrateGatewayDatabase,
  migrationsDirectory,
  serviceName,
  type GatewayService,
  type GatewayServiceDeps,
} from './service';
export {
  gatewayConfigSpec,
  loadGatewayConfig,
  parseSigningKey,
  type GatewayConfig,
  type GatewayServiceConfig,
  type SigningKey,
} from './config';
export { createRedisStore, type HotStore, type WindowHit } from './store/hot-store';
export { createMemoryHotStore } from './store/memory-store';
export { createDurableRevocationStore } from './store/durable-revocations';
export { createAuthClient, type AuthClient } from './clients/auth';
export { createTransactionsClient, type TransactionsClient } from './clients/transactions';
export { routePolicy, type RouteRule, type Access } from './access/policy';
export { tiers, type Tier } from './access/tiers';
export { findProfileByEmail } from './profiles/repository';
export { setRoleByEmail } from './profiles/operators';
export { gatewayDefinition, type GatewayExtras } from './definition';

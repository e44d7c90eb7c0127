/** Applies the gateway's pending migrations: `npm run -w @t50/gateway migrate`. */
import { createLogger, ensureDatabaseExists, loadConfig } from '@t50/kit';
import { gatewayConfigSpec } from '../config';
import { migrateGatewayDatabase } from '../service';

const { GATEWAY_DATABASE_URL, LOG_LEVEL } = loadConfig({
  GATEWAY_DATABASE_URL: gatewayConfigSpec.GATEWAY_DATABASE_URL,
  LOG_LEVEL: gatewayConfigSpec.LOG_LEVEL,
});
const logger = createLogger({ service: 'gateway-migrate', level: LOG_LEVEL });
await ensureDatabaseExists(GATEWAY_DATABASE_URL);
const applied = await migrateGatewayDatabase(GATEWAY_DATABASE_URL, logger);
console.log(applied.length === 0 ? 'nothing to apply' : `applied: ${applied.join(', ')}`);

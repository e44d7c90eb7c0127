/**
 * The auth service in embedded mode. A service API key for the gateway is made
 * at every start (only here; in a deployment an operator makes it with the keys
 * CLI) and stored in the data folder, so the gateway, or a person with curl,
 * can call auth.
 */
import { authDefinition, ensureEmbeddedGatewayKey } from '@t50/auth';
import { embed } from '../embed';

export const gatewayAuthKeySecret = 'auth-gateway-api-key';

export const authService = embed({
  definition: authDefinition,
  portOffset: 1,
  async started(_service, { db, storeSecret }) {
    // Replaces the key of the previous start, so only one is ever valid.
    const gatewayKey = await ensureEmbeddedGatewayKey(db);
    const path = await storeSecret(gatewayAuthKeySecret, gatewayKey);
    return {
      keys: { gatewayApiKey: gatewayKey },
      notes: [`auth API key for the gateway (x-api-key header): ${path}`],
    };
  },
});

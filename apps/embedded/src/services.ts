/**
 * What embedded mode runs: the services' own definitions (the same ones their
 * `main.ts` runs standalone), each adapted by `embed` in `services/<name>.ts`
 * with only what is embedded-specific: configuration values embedded mode
 * makes (generated keys, the URLs of the services started before it), the
 * extras in process, and what happens once the service is built (demo data,
 * keys handed over, banner lines). The platform gives each its own schema of
 * the shared PGlite and its own transport on the shared broker, listens,
 * prints the URL and owns shutdown.
 *
 * To add a service, write `services/<name>.ts` exporting `embed({...})` and
 * add it to `embeddedServices` after the services it needs (the gateway: after
 * auth and transactions, whose keys and URLs it reads from `started`).
 */
import type { EmbeddedService } from './embed';
import { authService } from './services/auth';
import { gatewayService } from './services/gateway';
import { paymentsService } from './services/payments';
import { transactionsService } from './services/transactions';

export {
  embed,
  type EmbeddedAdapter,
  type EmbeddedContext,
  type EmbeddedService,
  type Handover,
  type StartedInfo,
  type StartedService,
} from './embed';

/** In start order; a service may use what the ones before it expose. The gateway takes offset 0. */
export const embeddedServices: readonly EmbeddedService[] = [
  transactionsService,
  authService,
  paymentsService,
  gatewayService,
];

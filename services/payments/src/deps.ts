/** What the use cases of the payments service take: built once by createPaymentsService. */
import type { FiatProvider } from '@t50/contracts';
import type { Database, Logger } from '@t50/kit';
import type { AmountLimits } from './config';
import type { PaymentsMetrics } from './metrics';
import type { PaymentProvider } from './providers/port';

export interface PaymentsDeps {
  readonly db: Database;
  readonly logger: Logger;
  /** The enabled providers, by name. */
  readonly providers: ReadonlyMap<FiatProvider, PaymentProvider>;
  readonly metrics: PaymentsMetrics;
  readonly limits: { readonly deposit: AmountLimits; readonly payout: AmountLimits };
  readonly checkoutExpirySeconds: number;
  /** Publishes what was just enqueued, after the commit. */
  readonly kickOutbox: () => void;
  /** Asks the payout worker to look for held payouts now. */
  readonly kickPayouts: () => void;
  readonly now: () => Date;
}

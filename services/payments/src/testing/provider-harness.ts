/**
 * What the provider contract suite (providers/contract.test.ts) needs from
 * each provider under test besides the adapter itself: ways to act as the user
 * and as the provider (pay, decline, let a checkout expire, sign a webhook, go
 * down), and to count what the provider really made. Stripe and PayPal are
 * played by local fake servers speaking their wire format; the sandbox is the
 * real thing on a test database.
 */
import type { CreateDepositInput, CreatedDeposit, PaymentProvider, WebhookRequest } from '../providers/port';

export interface ProviderHarness {
  readonly provider: PaymentProvider;
  /** How many checkouts (sessions, orders) the provider made for this deposit id. */
  depositsMadeFor(depositId: string): Promise<number>;
  /** How many payouts (transfers, payout batches) the provider made for this payout id. */
  payoutsMadeFor(payoutId: string): Promise<number>;
  /** The user goes to the checkout and pays (`succeeded`) or is declined (`failed`). */
  completeDeposit(input: CreateDepositInput, created: CreatedDeposit, outcome: 'succeeded' | 'failed'): Promise<void>;
  /** The checkout's time runs out unpaid. */
  expireDeposit(input: CreateDepositInput, created: CreatedDeposit): Promise<void>;
  /** A payout destination that succeeds. */
  readonly goodDestination: string;
  /** A provider id of the provider's shape that names nothing. */
  readonly unknownDepositRef: string;
  /** A payout id of the provider's shape that names nothing. */
  readonly unknownPayoutRef: string;
  /**
   * The provider's webhook saying the deposit succeeded, signed as the
   * provider signs: with the configured secret (`right`) or another one
   * (`wrong`), at time `at`.
   */
  depositSucceededWebhook(
    input: CreateDepositInput,
    created: CreatedDeposit,
    options: { readonly signWith: 'right' | 'wrong'; readonly at: Date },
  ): Promise<WebhookRequest>;
  /** `down`: connections refused or reset; `failing`: it answers 500; `up`: back to normal. */
  setHealth(health: 'up' | 'down' | 'failing'): void;
  close(): Promise<void>;
}

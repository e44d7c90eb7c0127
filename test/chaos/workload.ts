/**
 * The chaos workload and its model. Every message the harness sends is built
 * here, with what the ledger must do with it (applied, rejected with a code,
 * dead-lettered with a reason), and the model keeps each account's expected
 * totals. Outcomes never depend on the order in which the ledger happens to
 * consume messages (redeliveries and retries reorder them):
 *
 * - rich users are funded far beyond what they can spend, so their transfers
 *   always apply; poor users hold a little and never receive, so whatever
 *   they try to move beyond it is always refused (insufficient funds);
 * - a hold is posted or voided only once the harness saw the hold committed,
 *   and resolved a second time only once the first resolution was committed;
 * - a transfer id is reused with other content only once the original is
 *   committed (a conflict);
 * - malformed messages can never parse, whatever else happened.
 */
import { createHash } from 'node:crypto';
import { systemAccountId, userAccountId } from '@t50/contracts';

/** mulberry32: a small seeded generator, so a run can be replayed from its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LegText {
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly asset: string;
  readonly amount: string;
}

export type Expected =
  | { readonly kind: 'applied'; readonly transferId?: string; readonly event?: string }
  | { readonly kind: 'rejected'; readonly code: string }
  | { readonly kind: 'dead'; readonly reason: string };

/** One message to publish: where, its raw body, and what must become of it. */
export interface Outgoing {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  /** A category for the summary, e.g. 'send', 'malformed:not_json'. */
  readonly label: string;
  readonly expected: Expected;
  /** A copy of an earlier message (same id, same bytes): must change nothing. */
  readonly republish?: boolean;
}

interface Totals {
  pd: bigint;
  pc: bigint;
  nd: bigint;
  nc: bigint;
}

export interface AccountTotals {
  readonly postedDebits: string;
  readonly postedCredits: string;
  readonly pendingDebits: string;
  readonly pendingCredits: string;
}

interface Hold {
  readonly id: string;
  /** The message that placed it: the hold is committed once this id is in the inbox. */
  readonly messageId: string;
  readonly legs: readonly LegText[];
  readonly family: 'payout' | 'chain' | 'command';
  /** Payout and chain holds: the upstream id (payoutId, withdrawalId). */
  readonly upstreamId: string;
  /** Left open for ever: receives only refused posts. */
  readonly keepOpen: boolean;
}

interface Resolution {
  readonly hold: Hold;
  readonly messageId: string;
  readonly state: 'posted' | 'voided';
}

const commands = 't50.commands';
const events = 't50.events';
const richFunding = 10n ** 13n;
const richEthFunding = 10n ** 24n;
const poorFunding = 500n;
const holdSeconds = 3 * 24 * 3600;
const fiatAssets = ['USD', 'EUR'] as const;

export interface WorkloadOptions {
  readonly seed: number;
  readonly richUsers: number;
  readonly poorUsers: number;
  /** Well-formed messages of the main phase (transfers, holds, posts, voids, refusals, duplicates). */
  readonly transfers: number;
  /** Malformed messages interleaved with them. */
  readonly malformed: number;
  readonly maxMessageBytes: number;
  /** Prefix of every id, so two runs never share one. */
  readonly runId: string;
}

export class Workload {
  readonly #options: WorkloadOptions;
  readonly #random: () => number;
  readonly #accounts = new Map<string, Totals>();
  /** Transfers the model expects, with their number of entries (posted legs x 2). */
  readonly expectedEntries = new Map<string, number>();
  readonly rich: string[] = [];
  readonly poor: string[] = [];
  /** Every distinct message id with what must become of it. */
  readonly expectations = new Map<string, Outgoing>();
  /** Voids the service's hold sweeper must record: inbox message id -> transfer id. */
  readonly expiries = new Map<string, string>();
  readonly #sentBodies: Outgoing[] = [];
  #sequence = 0;
  #mainSent = 0;
  #malformedSent = 0;
  #republished = 0;
  /** Holds seen committed (their ids may be reused with other content: a conflict). */
  readonly #committedHolds = new Set<string>();
  /** Sends and deposits sent, which may be sent again under a new message id. */
  readonly #facts: Outgoing[] = [];
  /** Holds placed, waiting to be seen committed. */
  readonly #holdsPlaced: Hold[] = [];
  /** Holds seen committed, to resolve. */
  readonly #holdsReady: Hold[] = [];
  readonly #holdsOpen: Hold[] = [];
  readonly #resolutionsSent: Resolution[] = [];
  readonly #resolutionsReady: Resolution[] = [];
  /** Committed transfers whose id may be reused with other content. */
  readonly #committedForConflict: { transferId: string; build: (messageId: string) => Outgoing }[] = [];

  constructor(options: WorkloadOptions) {
    this.#options = options;
    this.#random = createRandom(options.seed);
    for (let i = 0; i < options.richUsers; i += 1) this.rich.push(`${options.runId}-rich${i}`);
    for (let i = 0; i < options.poorUsers; i += 1) this.poor.push(`${options.runId}-poor${i}`);
  }

  get mainSent(): number {
    return this.#mainSent;
  }
  get republished(): number {
    return this.#republished;
  }
  get malformedSent(): number {
    return this.#malformedSent;
  }
  get done(): boolean {
    return this.#mainSent >= this.#options.transfers && this.#malformedSent >= this.#options.malformed;
  }

  /** Message ids whose commit the harness waits to see (holds, first resolutions). */
  awaitingCommit(): string[] {
    return [
      ...this.#holdsPlaced.map((hold) => hold.messageId),
      ...this.#resolutionsSent.map((resolution) => resolution.messageId),
    ];
  }

  /** Tells the workload which of `awaitingCommit()` are committed. */
  markCommitted(messageIds: ReadonlySet<string>): void {
    for (let i = this.#holdsPlaced.length - 1; i >= 0; i -= 1) {
      const hold = this.#holdsPlaced[i]!;
      if (!messageIds.has(hold.messageId)) continue;
      this.#holdsPlaced.splice(i, 1);
      this.#committedHolds.add(hold.id);
      (hold.keepOpen ? this.#holdsOpen : this.#holdsReady).push(hold);
    }
    for (let i = this.#resolutionsSent.length - 1; i >= 0; i -= 1) {
      const resolution = this.#resolutionsSent[i]!;
      if (!messageIds.has(resolution.messageId)) continue;
      this.#resolutionsSent.splice(i, 1);
      this.#resolutionsReady.push(resolution);
    }
  }

  /** Every account the model knows, with its expected totals. */
  expectedAccounts(): Map<string, AccountTotals> {
    const result = new Map<string, AccountTotals>();
    for (const [id, totals] of this.#accounts) {
      result.set(id, {
        postedDebits: totals.pd.toString(),
        postedCredits: totals.pc.toString(),
        pendingDebits: totals.nd.toString(),
        pendingCredits: totals.nc.toString(),
      });
    }
    return result;
  }

  // ----- setup: registrations and funding, awaited before the faults start -----

  setup(): Outgoing[] {
    const out: Outgoing[] = [];
    for (const user of [...this.rich, ...this.poor]) {
      out.push(
        this.#event(`${user}.reg`, 'gateway.user.registered', { userId: user }, 'setup:register', { kind: 'applied' }),
      );
      for (const asset of ['USD', 'EUR', 'ETH']) this.#account(userAccountId(user, asset));
    }
    for (const user of this.rich) {
      for (const asset of fiatAssets) out.push(this.#fiatDeposit(user, asset, richFunding, 'setup:fund', 'sandbox'));
      out.push(this.#chainDeposit(user, richEthFunding, 'setup:fund'));
    }
    for (const user of this.poor) out.push(this.#fiatDeposit(user, 'USD', poorFunding, 'setup:fund', 'sandbox'));
    return out;
  }

  // ----- the main phase -----

  /** The next message of the main phase, or undefined when all were sent. */
  next(): Outgoing | undefined {
    if (this.done) return undefined;
    const malformedDue =
      this.#malformedSent < this.#options.malformed &&
      (this.#mainSent >= this.#options.transfers ||
        this.#malformedSent / this.#options.malformed <= this.#mainSent / this.#options.transfers);
    if (malformedDue) {
      const out = this.#malformed(this.#malformedSent);
      this.#malformedSent += 1;
      return out;
    }
    const out = this.#wellFormed();
    // A republished copy comes on top of the `transfers` distinct messages.
    if (out.republish) this.#republished += 1;
    else this.#mainSent += 1;
    return out;
  }

  #wellFormed(): Outgoing {
    const roll = this.#random() * 100;
    if (roll < 18)
      return this.#fiatDeposit(
        this.#pick(this.rich),
        this.#pick(fiatAssets),
        this.#amount(1, 100_000),
        'deposit',
        this.#pick(['stripe', 'paypal']),
      );
    if (roll < 23)
      return this.#chainDeposit(this.#pick(this.rich), 10n ** 12n * this.#amount(1, 1000), 'chain-deposit');
    if (roll < 45) return this.#send();
    if (roll < 53) return this.#trade(this.#pick(this.rich), 'trade');
    if (roll < 62) return this.#payoutHold();
    if (roll < 65) return this.#chainHold();
    if (roll < 66) return this.#commandHold();
    if (roll < 67) return this.#expiringHold();
    if (roll < 80) return this.#resolve() ?? this.#send();
    if (roll < 83) return this.#commandTransfer();
    if (roll < 84) return this.#secondResolution() ?? this.#send();
    if (roll < 92) return this.#refused();
    if (roll < 96) return this.#republish() ?? this.#send();
    return this.#sameFactNewMessage() ?? this.#send();
  }

  #id(kind: string): string {
    this.#sequence += 1;
    return `${this.#options.runId}.${kind}${this.#sequence}`;
  }

  #pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.#random() * values.length)]!;
  }

  #amount(min: number, max: number): bigint {
    return BigInt(min + Math.floor(this.#random() * (max - min + 1)));
  }

  #account(id: string): Totals {
    let totals = this.#accounts.get(id);
    if (totals === undefined) {
      totals = { pd: 0n, pc: 0n, nd: 0n, nc: 0n };
      this.#accounts.set(id, totals);
    }
    return totals;
  }

  #post(legs: readonly LegText[]): void {
    for (const leg of legs) {
      this.#account(leg.debitAccountId).pd += BigInt(leg.amount);
      this.#account(leg.creditAccountId).pc += BigInt(leg.amount);
    }
  }

  #pend(legs: readonly LegText[], sign: 1n | -1n): void {
    for (const leg of legs) {
      this.#account(leg.debitAccountId).nd += sign * BigInt(leg.amount);
      this.#account(leg.creditAccountId).nc += sign * BigInt(leg.amount);
    }
  }

  #record(out: Outgoing): Outgoing {
    if (!out.republish) {
      if (this.expectations.has(out.messageId)) throw new Error(`workload bug: message id ${out.messageId} used twice`);
      this.expectations.set(out.messageId, out);
      // Bounded samples of what was sent, to send again.
      if (this.#sentBodies.length < 20_000) this.#sentBodies.push(out);
      else if (this.#random() < 0.1) this.#sentBodies[Math.floor(this.#random() * this.#sentBodies.length)] = out;
      if (out.label === 'send' || out.label === 'deposit') {
        if (this.#facts.length < 20_000) this.#facts.push(out);
        else if (this.#random() < 0.1) this.#facts[Math.floor(this.#random() * this.#facts.length)] = out;
      }
    }
    return out;
  }

  #event(messageId: string, type: string, data: unknown, label: string, expected: Expected): Outgoing {
    const body = Buffer.from(JSON.stringify({ id: messageId, type, version: 1, data }));
    return this.#record({ messageId, exchange: events, routingKey: type, body, label, expected });
  }

  #command(messageId: string, type: string, data: unknown, label: string, expected: Expected): Outgoing {
    const body = Buffer.from(JSON.stringify({ id: messageId, type, version: 1, data }));
    return this.#record({ messageId, exchange: commands, routingKey: `ledger.command.${type}`, body, label, expected });
  }

  /** An applied transfer: posts its legs in the model, expects its entries and its event. */
  #applied(transferId: string, legs: readonly LegText[], event: 'posted' | 'pending'): Expected {
    if (event === 'posted') {
      this.#post(legs);
      this.expectedEntries.set(transferId, legs.length * 2);
    } else {
      this.#pend(legs, 1n);
      this.expectedEntries.set(transferId, 0);
    }
    return { kind: 'applied', transferId, event: `${transferId}:${event}` };
  }

  #fiatDeposit(user: string, asset: string, amount: bigint, label: string, provider: string): Outgoing {
    const messageId = this.#id('dep');
    const paymentId = `pay-${messageId}`;
    const transferId = `deposit:${provider}:${paymentId}`;
    const legs = [
      {
        debitAccountId: systemAccountId(`${provider}_clearing`, asset),
        creditAccountId: userAccountId(user, asset),
        asset,
        amount: amount.toString(),
      },
    ];
    const data = { paymentId, provider, userId: user, asset, amount: amount.toString() };
    const out = this.#event(
      messageId,
      'payments.deposit.succeeded',
      data,
      label,
      this.#applied(transferId, legs, 'posted'),
    );
    if (label.startsWith('setup')) {
      this.#committedForConflict.push({
        transferId,
        build: (id) =>
          this.#event(
            id,
            'payments.deposit.succeeded',
            { ...data, amount: (amount + 1n).toString() },
            'refused:conflict',
            { kind: 'rejected', code: 'conflict' },
          ),
      });
    }
    return out;
  }

  #chainDeposit(user: string, amount: bigint, label: string): Outgoing {
    const messageId = this.#id('eth');
    const txHash = `0x${createHash('sha256').update(messageId).digest('hex')}`;
    const transferId = `chain-deposit:${txHash}:0`;
    const legs = [
      {
        debitAccountId: systemAccountId('hot_wallet', 'ETH'),
        creditAccountId: userAccountId(user, 'ETH'),
        asset: 'ETH',
        amount: amount.toString(),
      },
    ];
    return this.#event(
      messageId,
      'wallet.deposit.confirmed',
      { txHash, logIndex: 0, userId: user, amount: amount.toString() },
      label,
      this.#applied(transferId, legs, 'posted'),
    );
  }

  #send(): Outgoing {
    const from = this.#pick(this.rich);
    let to = this.#pick(this.rich);
    if (to === from) to = this.rich[(this.rich.indexOf(from) + 1) % this.rich.length]!;
    const asset = this.#pick(['USD', 'EUR', 'ETH']);
    const amount = asset === 'ETH' ? 10n ** 12n * this.#amount(1, 1000) : this.#amount(1, 10_000);
    const messageId = this.#id('send');
    const transferId = `send:${messageId}`;
    const legs = [
      {
        debitAccountId: userAccountId(from, asset),
        creditAccountId: userAccountId(to, asset),
        asset,
        amount: amount.toString(),
      },
    ];
    return this.#event(
      messageId,
      'gateway.send.requested',
      { sendId: messageId, fromUserId: from, toUserId: to, asset, amount: amount.toString() },
      'send',
      this.#applied(transferId, legs, 'posted'),
    );
  }

  #tradeLegs(
    user: string,
    side: 'buy' | 'sell',
    fiat: string,
    fiatAmount: bigint,
    ethAmount: bigint,
    fee: bigint,
  ): LegText[] {
    const userFiat = userAccountId(user, fiat);
    const userEth = userAccountId(user, 'ETH');
    const legs: LegText[] =
      side === 'buy'
        ? [
            {
              debitAccountId: userFiat,
              creditAccountId: systemAccountId('treasury', fiat),
              asset: fiat,
              amount: fiatAmount.toString(),
            },
            {
              debitAccountId: systemAccountId('treasury', 'ETH'),
              creditAccountId: userEth,
              asset: 'ETH',
              amount: ethAmount.toString(),
            },
          ]
        : [
            {
              debitAccountId: userEth,
              creditAccountId: systemAccountId('treasury', 'ETH'),
              asset: 'ETH',
              amount: ethAmount.toString(),
            },
            {
              debitAccountId: systemAccountId('treasury', fiat),
              creditAccountId: userFiat,
              asset: fiat,
              amount: fiatAmount.toString(),
            },
          ];
    if (fee !== 0n)
      legs.push({
        debitAccountId: userFiat,
        creditAccountId: systemAccountId('fees', fiat),
        asset: fiat,
        amount: fee.toString(),
      });
    return legs;
  }

  #trade(user: string, label: string, expected?: Expected): Outgoing {
    const side = this.#pick(['buy', 'sell'] as const);
    const fiat = this.#pick(fiatAssets);
    const fiatAmount = this.#amount(1000, 50_000);
    const ethAmount = 10n ** 14n * this.#amount(1, 100);
    const fee = this.#pick([0n, 25n, 99n]);
    const messageId = this.#id('trade');
    const transferId = `trade:${messageId}`;
    const data = {
      quoteId: messageId,
      userId: user,
      side,
      fiatAsset: fiat,
      fiatAmount: fiatAmount.toString(),
      ethAmount: ethAmount.toString(),
      feeAmount: fee.toString(),
    };
    return this.#event(
      messageId,
      'gateway.trade.executed',
      data,
      label,
      expected ?? this.#applied(transferId, this.#tradeLegs(user, side, fiat, fiatAmount, ethAmount, fee), 'posted'),
    );
  }

  #payoutHold(user = this.#pick(this.rich), refused = false): Outgoing {
    const asset = this.#pick(fiatAssets);
    const amount = refused ? poorFunding + this.#amount(1, 10_000) : this.#amount(100, 20_000);
    const messageId = this.#id('payout');
    const payoutId = `po-${messageId}`;
    const transferId = `payout:${payoutId}`;
    const legs = [
      {
        debitAccountId: userAccountId(user, asset),
        creditAccountId: systemAccountId('payouts_in_flight', asset),
        asset,
        amount: amount.toString(),
      },
    ];
    const data = { payoutId, provider: 'stripe', userId: user, asset, amount: amount.toString() };
    if (refused) {
      return this.#event(
        messageId,
        'payments.payout.requested',
        { ...data, asset: 'USD', amount: amount.toString() },
        'refused:insufficient_funds',
        { kind: 'rejected', code: 'insufficient_funds' },
      );
    }
    const out = this.#event(
      messageId,
      'payments.payout.requested',
      data,
      'hold',
      this.#applied(transferId, legs, 'pending'),
    );
    this.#holdsPlaced.push({
      id: transferId,
      messageId,
      legs,
      family: 'payout',
      upstreamId: payoutId,
      keepOpen: this.#random() < 0.1,
    });
    this.#committedForConflictLater(
      transferId,
      () => (id) =>
        this.#event(
          id,
          'payments.payout.requested',
          { ...data, amount: (amount + 1n).toString() },
          'refused:conflict',
          { kind: 'rejected', code: 'conflict' },
        ),
    );
    return out;
  }

  /** Conflicts on holds are built once the hold is committed (see #refused). */
  readonly #pendingConflicts = new Map<string, () => (messageId: string) => Outgoing>();
  #committedForConflictLater(transferId: string, build: () => (messageId: string) => Outgoing): void {
    if (this.#pendingConflicts.size < 1000) this.#pendingConflicts.set(transferId, build);
  }

  #chainHold(): Outgoing {
    const user = this.#pick(this.rich);
    const amount = 10n ** 12n * this.#amount(1, 1000);
    const messageId = this.#id('wd');
    const withdrawalId = `wd-${messageId}`;
    const transferId = `chain-withdrawal:${withdrawalId}`;
    const legs = [
      {
        debitAccountId: userAccountId(user, 'ETH'),
        creditAccountId: systemAccountId('withdrawals_in_flight', 'ETH'),
        asset: 'ETH',
        amount: amount.toString(),
      },
    ];
    const toAddress = `0x${'ab'.repeat(20)}`;
    const out = this.#event(
      messageId,
      'wallet.withdrawal.requested',
      { withdrawalId, userId: user, amount: amount.toString(), toAddress },
      'hold',
      this.#applied(transferId, legs, 'pending'),
    );
    this.#holdsPlaced.push({
      id: transferId,
      messageId,
      legs,
      family: 'chain',
      upstreamId: withdrawalId,
      keepOpen: false,
    });
    return out;
  }

  /** A two-leg hold through the ledger's own command. */
  #commandHold(): Outgoing {
    const user = this.#pick(this.rich);
    const messageId = this.#id('cmdhold');
    const transferId = `hold-${messageId}`;
    const legs = [
      {
        debitAccountId: userAccountId(user, 'USD'),
        creditAccountId: systemAccountId('payouts_in_flight', 'USD'),
        asset: 'USD',
        amount: this.#amount(100, 5000).toString(),
      },
      {
        debitAccountId: userAccountId(user, 'USD'),
        creditAccountId: systemAccountId('fees', 'USD'),
        asset: 'USD',
        amount: this.#amount(1, 99).toString(),
      },
    ];
    const out = this.#command(
      messageId,
      'ledger.transfer.create',
      { transferId, code: 'withdrawal', legs, pending: { timeoutSeconds: holdSeconds } },
      'hold',
      this.#applied(transferId, legs, 'pending'),
    );
    this.#holdsPlaced.push({
      id: transferId,
      messageId,
      legs,
      family: 'command',
      upstreamId: transferId,
      keepOpen: this.#random() < 0.2,
    });
    return out;
  }

  /**
   * A hold that expires after a second and is never resolved: the service's
   * own sweeper must void it (once: the void's id derives from the hold),
   * whatever the faults. Its inbox row and void are expected in `expiries`.
   */
  #expiringHold(): Outgoing {
    const user = this.#pick(this.rich);
    const messageId = this.#id('exphold');
    const transferId = `exp-${messageId}`;
    const legs = [
      {
        debitAccountId: userAccountId(user, 'EUR'),
        creditAccountId: systemAccountId('payouts_in_flight', 'EUR'),
        asset: 'EUR',
        amount: this.#amount(100, 5000).toString(),
      },
    ];
    const expected = this.#applied(transferId, legs, 'pending');
    // Voided by the sweeper: the pending totals go back.
    this.#pend(legs, -1n);
    this.expiries.set(`expire:${transferId}`, `expire:${transferId}`);
    this.expectedEntries.set(`expire:${transferId}`, 0);
    return this.#command(
      messageId,
      'ledger.transfer.create',
      { transferId, code: 'withdrawal', legs, pending: { timeoutSeconds: 1 } },
      'hold-expiring',
      expected,
    );
  }

  /** A multi-leg transfer through the ledger's command: USD and ETH from one rich user to another. */
  #commandTransfer(): Outgoing {
    const from = this.#pick(this.rich);
    const to =
      this.rich[
        (this.rich.indexOf(from) + 1 + Math.floor(this.#random() * (this.rich.length - 1))) % this.rich.length
      ]!;
    const messageId = this.#id('cmd');
    const transferId = `xfer-${messageId}`;
    const legs = [
      {
        debitAccountId: userAccountId(from, 'USD'),
        creditAccountId: userAccountId(to, 'USD'),
        asset: 'USD',
        amount: this.#amount(1, 5000).toString(),
      },
      {
        debitAccountId: userAccountId(to, 'ETH'),
        creditAccountId: userAccountId(from, 'ETH'),
        asset: 'ETH',
        amount: (10n ** 13n * this.#amount(1, 100)).toString(),
      },
    ];
    return this.#command(
      messageId,
      'ledger.transfer.create',
      { transferId, code: 'trade', legs, metadata: { note: 'chaos' } },
      'command-transfer',
      this.#applied(transferId, legs, 'posted'),
    );
  }

  /** Posts (in full or in part) or voids a hold seen committed. */
  #resolve(): Outgoing | undefined {
    const index = Math.floor(this.#random() * this.#holdsReady.length);
    const hold = this.#holdsReady[index];
    if (hold === undefined) return undefined;
    this.#holdsReady.splice(index, 1);
    const post = this.#random() < 0.75;
    this.#pend(hold.legs, -1n);
    let out: Outgoing;
    if (post) {
      let legs = hold.legs;
      const partial = hold.legs.length === 1 && this.#random() < 0.3;
      if (partial) legs = [{ ...hold.legs[0]!, amount: (BigInt(hold.legs[0]!.amount) / 2n + 1n).toString() }];
      if (hold.family === 'payout' && !partial) {
        const messageId = this.#id('paid');
        out = this.#event(
          messageId,
          'payments.payout.completed',
          { payoutId: hold.upstreamId },
          'post',
          this.#applied(`${hold.id}:completed`, legs, 'posted'),
        );
      } else if (hold.family === 'chain' && !partial) {
        const messageId = this.#id('wdok');
        const txHash = `0x${'cd'.repeat(32)}`;
        out = this.#event(
          messageId,
          'wallet.withdrawal.confirmed',
          { withdrawalId: hold.upstreamId, txHash },
          'post',
          this.#applied(`${hold.id}:confirmed`, legs, 'posted'),
        );
      } else {
        const messageId = this.#id('post');
        const transferId = `post-${messageId}`;
        const data = { transferId, pendingId: hold.id, ...(partial ? { amount: legs[0]!.amount } : {}) };
        out = this.#command(
          messageId,
          'ledger.transfer.post',
          data,
          partial ? 'post-partial' : 'post',
          this.#applied(transferId, legs, 'posted'),
        );
      }
    } else {
      let transferId: string;
      let messageId: string;
      if (hold.family === 'payout') {
        messageId = this.#id('pofail');
        transferId = `${hold.id}:failed`;
        out = this.#event(
          messageId,
          'payments.payout.failed',
          { payoutId: hold.upstreamId, reason: 'bank refused' },
          'void',
          { kind: 'applied', transferId, event: `${transferId}:voided` },
        );
      } else if (hold.family === 'chain') {
        messageId = this.#id('wdfail');
        transferId = `${hold.id}:failed`;
        out = this.#event(
          messageId,
          'wallet.withdrawal.failed',
          { withdrawalId: hold.upstreamId, reason: 'reverted' },
          'void',
          { kind: 'applied', transferId, event: `${transferId}:voided` },
        );
      } else {
        messageId = this.#id('void');
        transferId = `void-${messageId}`;
        out = this.#command(messageId, 'ledger.transfer.void', { transferId, pendingId: hold.id }, 'void', {
          kind: 'applied',
          transferId,
          event: `${transferId}:voided`,
        });
      }
      this.expectedEntries.set(transferId, 0);
    }
    this.#resolutionsSent.push({ hold, messageId: out.messageId, state: post ? 'posted' : 'voided' });
    return out;
  }

  /** Resolves a hold whose first resolution is committed: always refused. */
  #secondResolution(): Outgoing | undefined {
    const index = Math.floor(this.#random() * this.#resolutionsReady.length);
    const resolution = this.#resolutionsReady[index];
    if (resolution === undefined) return undefined;
    this.#resolutionsReady.splice(index, 1);
    const code = resolution.state === 'posted' ? 'hold_already_posted' : 'hold_already_voided';
    const messageId = this.#id('again');
    const wantVoid = this.#random() < 0.5;
    return wantVoid
      ? this.#command(
          messageId,
          'ledger.transfer.void',
          { transferId: `void-${messageId}`, pendingId: resolution.hold.id },
          `refused:${code}`,
          { kind: 'rejected', code },
        )
      : this.#command(
          messageId,
          'ledger.transfer.post',
          { transferId: `post-${messageId}`, pendingId: resolution.hold.id },
          `refused:${code}`,
          { kind: 'rejected', code },
        );
  }

  /** Well-formed messages the ledger must refuse, each with its reason. */
  #refused(): Outgoing {
    const roll = Math.floor(this.#random() * 10);
    const poor = this.#pick(this.poor);
    const rich = this.#pick(this.rich);
    switch (roll) {
      case 0: {
        const messageId = this.#id('poorsend');
        const amount = (poorFunding + this.#amount(1, 10_000)).toString();
        return this.#event(
          messageId,
          'gateway.send.requested',
          { sendId: messageId, fromUserId: poor, toUserId: rich, asset: 'USD', amount },
          'refused:insufficient_funds',
          { kind: 'rejected', code: 'insufficient_funds' },
        );
      }
      case 1:
        return this.#trade(poor, 'refused:insufficient_funds', { kind: 'rejected', code: 'insufficient_funds' });
      case 2:
        return this.#payoutHold(poor, true);
      case 3: {
        // Unknown account: a user nobody registered.
        const messageId = this.#id('ghost');
        return this.#event(
          messageId,
          'gateway.send.requested',
          { sendId: messageId, fromUserId: rich, toUserId: `${this.#options.runId}-ghost`, asset: 'USD', amount: '10' },
          'refused:account_not_found',
          { kind: 'rejected', code: 'account_not_found' },
        );
      }
      case 4: {
        // Unknown asset: well-formed code, no such asset in the ledger.
        const messageId = this.#id('gbp');
        return this.#event(
          messageId,
          'payments.deposit.succeeded',
          { paymentId: `pay-${messageId}`, provider: 'stripe', userId: rich, asset: 'GBP', amount: '100' },
          'refused:unknown_asset',
          { kind: 'rejected', code: 'unknown_asset' },
        );
      }
      case 5: {
        // A reused transfer id with other content: a conflict, never an overwrite.
        let held: string | undefined;
        for (const transferId of this.#pendingConflicts.keys()) {
          if (this.#committedHolds.has(transferId)) {
            held = transferId;
            break;
          }
        }
        const messageId = this.#id('conflict');
        if (held !== undefined) {
          const build = this.#pendingConflicts.get(held)!;
          this.#pendingConflicts.delete(held);
          return build()(messageId);
        }
        return this.#pick(this.#committedForConflict).build(messageId);
      }
      case 6: {
        const messageId = this.#id('nohold');
        return this.#command(
          messageId,
          'ledger.transfer.post',
          { transferId: `post-${messageId}`, pendingId: `${this.#options.runId}-nosuchhold` },
          'refused:hold_not_found',
          { kind: 'rejected', code: 'hold_not_found' },
        );
      }
      case 7: {
        // A hold kept open: a post beyond its amount, or a partial post of a multi-leg hold.
        const hold = this.#holdsOpen.length === 0 ? undefined : this.#pick(this.#holdsOpen);
        const messageId = this.#id('badpost');
        if (hold === undefined) {
          return this.#command(
            messageId,
            'ledger.transfer.create',
            {
              transferId: `same-${messageId}`,
              code: 'send',
              legs: [
                {
                  debitAccountId: userAccountId(rich, 'USD'),
                  creditAccountId: userAccountId(rich, 'USD'),
                  asset: 'USD',
                  amount: '5',
                },
              ],
            },
            'refused:same_account',
            { kind: 'rejected', code: 'same_account' },
          );
        }
        const code = hold.legs.length === 1 ? 'post_amount_exceeds_hold' : 'partial_post_of_multi_leg_hold';
        const amount = hold.legs.length === 1 ? (BigInt(hold.legs[0]!.amount) + 1n).toString() : '1';
        return this.#command(
          messageId,
          'ledger.transfer.post',
          { transferId: `post-${messageId}`, pendingId: hold.id, amount },
          `refused:${code}`,
          { kind: 'rejected', code },
        );
      }
      case 8: {
        const messageId = this.#id('same');
        return this.#command(
          messageId,
          'ledger.transfer.create',
          {
            transferId: `same-${messageId}`,
            code: 'send',
            legs: [
              {
                debitAccountId: userAccountId(rich, 'EUR'),
                creditAccountId: userAccountId(rich, 'EUR'),
                asset: 'EUR',
                amount: '5',
              },
            ],
          },
          'refused:same_account',
          { kind: 'rejected', code: 'same_account' },
        );
      }
      default: {
        // Metadata within the schema (16 keys of 256 characters) but above the ledger's 4 KiB.
        const messageId = this.#id('meta');
        const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`key${i}`, 'm'.repeat(256)]));
        return this.#command(
          messageId,
          'ledger.transfer.create',
          {
            transferId: `meta-${messageId}`,
            code: 'send',
            metadata,
            legs: [
              {
                debitAccountId: userAccountId(rich, 'USD'),
                creditAccountId: systemAccountId('fees', 'USD'),
                asset: 'USD',
                amount: '5',
              },
            ],
          },
          'refused:metadata_too_large',
          { kind: 'rejected', code: 'metadata_too_large' },
        );
      }
    }
  }

  /** The same message again, byte for byte (a producer's retry, a broker redelivery). */
  #republish(): Outgoing | undefined {
    if (this.#sentBodies.length === 0) return undefined;
    const original = this.#pick(this.#sentBodies);
    return { ...original, republish: true, label: `republish:${original.label}` };
  }

  /** The same fact under a new message id (e.g. a webhook delivered twice): applied once. */
  #sameFactNewMessage(): Outgoing | undefined {
    if (this.#facts.length === 0) return undefined;
    const original = this.#pick(this.#facts);
    const messageId = this.#id('again');
    const envelope = JSON.parse(original.body.toString('utf8')) as { id: string };
    envelope.id = messageId;
    const expected =
      original.expected.kind === 'applied'
        ? {
            kind: 'applied' as const,
            ...(original.expected.transferId === undefined ? {} : { transferId: original.expected.transferId }),
          }
        : original.expected;
    return this.#record({
      ...original,
      messageId,
      body: Buffer.from(JSON.stringify(envelope)),
      label: 'same-fact',
      expected,
    });
  }

  /** Malformed messages of every class, in turn: each must end in the dead-letter queue with its reason. */
  #malformed(index: number): Outgoing {
    const messageId = this.#id('bad');
    const user = this.#pick(this.rich);
    const deposit = (amount: string) =>
      JSON.stringify({
        id: messageId,
        type: 'payments.deposit.succeeded',
        version: 1,
        data: { paymentId: `pay-${messageId}`, provider: 'stripe', userId: user, asset: 'USD', amount },
      });
    const classes: [string, string | Buffer, string][] = [
      ['not_json', `{"id": "${messageId}", "type": "payments.deposit.succeeded", `, 'malformed_json'],
      ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x13, 0x37]), 'malformed_json'],
      ['empty', '', 'malformed_json'],
      ['no_envelope', JSON.stringify([1, 2, 3]), 'invalid_schema'],
      [
        'wrong_schema',
        JSON.stringify({
          id: messageId,
          type: 'gateway.send.requested',
          version: 1,
          data: { sendId: messageId, fromUserId: user },
        }),
        'invalid_schema',
      ],
      [
        'extra_field',
        JSON.stringify({
          id: messageId,
          type: 'gateway.user.registered',
          version: 1,
          data: { userId: user, admin: true },
        }),
        'invalid_schema',
      ],
      ['negative_amount', deposit('-500'), 'invalid_schema'],
      ['fractional_amount', deposit('12.50'), 'invalid_schema'],
      ['amount_79_digits', deposit(`1${'0'.repeat(78)}`), 'invalid_schema'],
      [
        'number_amount',
        JSON.stringify({
          id: messageId,
          type: 'payments.deposit.succeeded',
          version: 1,
          data: { paymentId: `pay-${messageId}`, provider: 'stripe', userId: user, asset: 'USD', amount: 100 },
        }),
        'invalid_schema',
      ],
      [
        'unknown_type',
        JSON.stringify({ id: messageId, type: 'ledger.transfer.steal', version: 1, data: {} }),
        'unknown_type',
      ],
      [
        'too_large',
        deposit('1').replace('"data"', `"padding":"${'x'.repeat(this.#options.maxMessageBytes)}","data"`),
        'message_too_large',
      ],
    ];
    const [label, body, reason] = classes[index % classes.length]!;
    return this.#record({
      messageId,
      exchange: commands,
      routingKey: 'ledger.command.chaos',
      body: typeof body === 'string' ? Buffer.from(body) : body,
      label: `malformed:${label}`,
      expected: { kind: 'dead', reason },
    });
  }
}

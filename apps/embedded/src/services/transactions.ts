/** The ledger in embedded mode: a generated API key for its HTTP API, and the sample data on request. */
import { createTransactionsService } from '@t50/transactions';
import { seedLedger, seedUserIds } from '@t50/transactions/seed';
import type { EmbeddedService } from '../services';

export const transactionsApiKeySecret = 'transactions-api-key';

export const transactionsService: EmbeddedService = {
  name: 'transactions',
  portOffset: 2,
  async start({ config, db, transport, logger, secret }) {
    const apiKey = await secret(transactionsApiKeySecret);
    const service = await createTransactionsService({
      config: {
        TRANSACTIONS_API_KEYS: [apiKey.value],
        LEDGER_QUEUE: 'ledger.inbox',
        LEDGER_PARTITIONS: 1,
        LEDGER_COMMAND_ROUTE: 'writer',
        LEDGER_COMMAND_TIMEOUT_MS: 30_000,
        LEDGER_BATCH_MAX_MESSAGES: config.LEDGER_BATCH_MAX_MESSAGES,
        LEDGER_BATCH_MAX_WAIT_MS: config.LEDGER_BATCH_MAX_WAIT_MS,
        LEDGER_MAX_MESSAGE_BYTES: config.LEDGER_MAX_MESSAGE_BYTES,
        LEDGER_HOLD_SWEEP_INTERVAL_MS: config.LEDGER_HOLD_SWEEP_INTERVAL_MS,
      },
      db,
      transport,
      logger,
    });
    const notes = [`ledger API key (x-api-key header): ${apiKey.path}`];
    if (config.EMBEDDED_SEED) {
      const report = await seedLedger(service.writers[0]!);
      logger.info({ ...report }, 'sample data seeded');
      notes.push(
        report.applied > 0
          ? `sample data: users ${seedUserIds.join(', ')} with balances (${report.applied} messages applied)`
          : `sample data: users ${seedUserIds.join(', ')} (already there)`,
      );
      if (report.rejected.length > 0)
        logger.warn({ refused: report.rejected }, 'the ledger refused part of the sample');
    }
    return { app: service.app, close: () => service.close(), keys: { apiKey: apiKey.value }, notes };
  },
};

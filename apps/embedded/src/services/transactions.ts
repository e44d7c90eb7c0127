/** The ledger in embedded mode: a generated API key for its HTTP API, and the sample data on request. */
import { transactionsDefinition } from '@t50/transactions/definition';
import { seedLedger, seedUserIds } from '@t50/transactions/seed';
import { embed } from '../embed';

export const transactionsApiKeySecret = 'transactions-api-key';

export const transactionsService = embed({
  definition: transactionsDefinition,
  portOffset: 2,
  environment: async ({ secret }) => ({ TRANSACTIONS_API_KEYS: (await secret(transactionsApiKeySecret)).value }),
  async started(service, { config, logger, secret }) {
    const apiKey = await secret(transactionsApiKeySecret);
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
    return { keys: { apiKey: apiKey.value }, notes };
  },
});

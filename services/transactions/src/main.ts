/**
 * Composition root of the standalone transactions service: real PostgreSQL
 * and RabbitMQ, from the environment. Run: `npm run -w @t50/transactions start`.
 * The kit's `runService` owns the start path: configuration errors, tracing,
 * dependency deadlines, migrations, Consul, the ready line and exit codes.
 */
import { runService } from '@t50/kit';
import { transactionsDefinition } from './definition';

await runService(transactionsDefinition);

/**
 * The composition root for a standalone payments service on a real
 * PostgreSQL and RabbitMQ: the kit's `runService` owns the start path
 * (configuration errors, tracing, dependency deadlines, migrations, Consul,
 * the ready line, graceful shutdown and exit codes).
 */
import { runService } from '@t50/kit';
import { paymentsDefinition } from './definition';

await runService(paymentsDefinition);

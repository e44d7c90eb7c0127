/**
 * The composition root for a standalone gateway: database (created if
 * missing, migrated), broker, Redis, HTTP, all described by its definition.
 * The kit's `runService` owns the start path: configuration errors, tracing,
 * dependency deadlines, Consul, the ready line, graceful shutdown and exit codes.
 */
import { runService } from '@t50/kit';
import { gatewayDefinition } from './definition';

await runService(gatewayDefinition);

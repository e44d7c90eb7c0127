/**
 * The composition root for a standalone auth service on a real PostgreSQL.
 * The kit's `runService` owns the start path: configuration errors, tracing,
 * dependency deadlines, migrations, Consul, the ready line, graceful shutdown
 * and exit codes.
 */
import { runService } from '@t50/kit';
import { authDefinition } from './definition';

await runService(authDefinition);

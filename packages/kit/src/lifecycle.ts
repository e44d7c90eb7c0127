/**
 * Graceful shutdown, in one place: on SIGTERM or SIGINT the closers registered
 * by the composition root run in reverse order (stop consuming, finish in-flight
 * work, close connections) and the process exits 0. An uncaught error or
 * unhandled rejection is logged, the same closers run, and the process exits 1.
 */
import type { Logger } from 'pino';
import { withTimeout } from './timeout';

export type Closer = () => Promise<void>;

export interface Lifecycle {
  /** Registers a closer; closers run last-registered first. */
  onClose(name: string, closer: Closer): void;
  /** Runs every closer once (later calls wait for the first). */
  shutdown(reason: string): Promise<void>;
}

export function createLifecycle(logger: Logger, options: { timeoutMs?: number } = {}): Lifecycle {
  const closers: { name: string; closer: Closer }[] = [];
  let shuttingDown: Promise<void> | undefined;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    onClose(name, closer) {
      closers.push({ name, closer });
    },
    shutdown(reason) {
      shuttingDown ??= (async () => {
        logger.info({ reason }, 'shutting down');
        for (const { name, closer } of [...closers].reverse()) {
          try {
            await withTimeout(closer(), timeoutMs, () => new Error(`${name} did not close within ${timeoutMs} ms`));
            logger.debug({ closer: name }, 'closed');
          } catch (error) {
            logger.error({ err: error, closer: name }, 'close failed');
          }
        }
      })();
      return shuttingDown;
    },
  };
}

/** Wires process signals and fatal errors to the lifecycle. Call once, from a main module. */
export function handleProcessSignals(lifecycle: Lifecycle, logger: Logger): void {
  const stop = (signal: string) => {
    void lifecycle.shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const fatal = (error: unknown) => {
    logger.fatal({ err: error }, 'fatal error');
    void lifecycle.shutdown('fatal error').then(() => process.exit(1));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

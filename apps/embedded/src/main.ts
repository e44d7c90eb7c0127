/**
 * `npm start`: the whole platform in one process (embedded mode). Every
 * service that exists gets its own schema of one PGlite database under the
 * data folder (EMBEDDED_DATA_DIR, default .data) and the in-process transport; the URLs
 * are printed when all answer. Ctrl-C or SIGTERM stops it cleanly (exit 0).
 * Logs go to <data>/embedded.log; the terminal gets a short banner.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { ConfigError, createLifecycle, createLogger, handleProcessSignals, initTracing } from '@t50/kit';
import { loadEmbeddedConfig } from './config';
import { logPath } from './data-folder';
import { startPlatform, type Platform } from './platform';
import { embeddedServices } from './services';

/** The terminal is for people: plain lines, not log records. */
const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

function banner(platform: Platform, startMs: number): string[] {
  const width = Math.max(...platform.services.map((service) => service.name.length));
  const shown = (path: string) => {
    const near = relative(process.cwd(), path);
    return near.startsWith('..') ? path : near;
  };
  const lines = [
    `Transactions50 is running in embedded mode (ready in ${(startMs / 1000).toFixed(1)} s; data in ${shown(platform.dataDir)})`,
  ];
  for (const service of platform.services) {
    lines.push(
      `  ${service.name.padEnd(width)}  ${service.url}   (API docs ${service.url}/docs, health ${service.url}/health/ready)`,
    );
  }
  for (const service of platform.services) {
    for (const note of service.notes)
      lines.push(`  ${service.name.padEnd(width)}  ${note.replace(platform.dataDir, shown(platform.dataDir))}`);
  }
  lines.push(`  logs: ${shown(logPath(platform.dataDir))}`);
  for (const service of platform.services)
    if (service.browserUrl !== undefined) lines.push(`Open ${service.browserUrl} in your browser`);
  lines.push('Press Ctrl-C to stop.');
  return lines;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config;
  try {
    config = loadEmbeddedConfig();
  } catch (error) {
    // The same short message and exit code as a standalone service: the bad keys, no value, no stack.
    if (error instanceof ConfigError) {
      complain(
        [
          'embedded mode: invalid configuration; fix these environment variables:',
          ...error.problems.map((problem) => `  - ${problem}`),
        ].join('\n'),
      );
      process.exit(1);
    }
    complain(
      `embedded mode: could not read the configuration: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
  const dataDir = resolve(config.EMBEDDED_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const logFile = createWriteStream(logPath(dataDir), { flags: 'a' });
  const loggerFor = (service: string) => createLogger({ service, level: config.LOG_LEVEL, destination: logFile });
  const logger = loggerFor('embedded');
  const lifecycle = createLifecycle(logger);
  // Registered first, so it runs last, after every resource is closed.
  lifecycle.onClose('goodbye', () => {
    say('Stopped.');
    return Promise.resolve();
  });
  // Registered first, so it closes last: every closer's log line reaches the file.
  lifecycle.onClose('log file', () => new Promise<void>((done) => logFile.end(done)));
  handleProcessSignals(lifecycle, logger);
  lifecycle.onClose('tracing', initTracing({ serviceName: 'embedded', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }));

  say(`Starting Transactions50 in embedded mode: ${embeddedServices.map((service) => service.name).join(', ')} ...`);
  try {
    const platform = await startPlatform({ config, loggerFor, lifecycle, services: embeddedServices });
    const startMs = performance.now() - startedAt;
    logger.info(
      { startMs: Math.round(startMs), services: platform.services.map(({ name, url }) => ({ name, url })) },
      'embedded mode ready',
    );
    for (const line of banner(platform, startMs)) say(line);
  } catch (error) {
    logger.fatal({ err: error }, 'embedded mode failed to start');
    complain(
      `embedded mode failed to start: ${error instanceof Error ? error.message : String(error)} (details in ${logPath(dataDir)})`,
    );
    await lifecycle.shutdown('start failed');
    process.exit(1);
  }
}

await main();

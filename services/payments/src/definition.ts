/**
 * Payments as a service definition (@t50/kit's `ServiceDefinition`): run
 * standalone by main.ts (`runService`) on PostgreSQL and RabbitMQ, and by
 * embedded mode on its schema of the shared PGlite and the in-process broker.
 */
import { needTransport, type NoExtras, type ServiceDefinition } from '@t50/kit';
import { loadPaymentsConfig, paymentsConfigSpec, type PaymentsConfig } from './config';
import { createPaymentsService, migrationsDirectory, serviceName, type PaymentsService } from './service';

export const paymentsDefinition: ServiceDefinition<PaymentsConfig, NoExtras, PaymentsService> = {
  name: serviceName,
  configSpec: paymentsConfigSpec,
  loadConfig: loadPaymentsConfig,
  migrations: migrationsDirectory,
  build: ({ config, db, logger, ...deps }) =>
    createPaymentsService({ config, db, transport: needTransport(deps), logger, migrate: false }),
  standalone: {
    database: (config) => ({ url: config.PAYMENTS_DATABASE_URL }),
    broker: (config) => config.RABBITMQ_URL,
    listen: (config) => ({ host: config.PAYMENTS_HOST, port: config.PAYMENTS_PORT }),
  },
};

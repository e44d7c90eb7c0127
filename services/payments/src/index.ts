/** The payments service's public surface. */
export * from './providers/port';
export { loadPaymentsConfig, paymentsConfigSpec, type PaymentsConfig } from './config';
export { createPaymentsService, serviceName, type PaymentsService, type PaymentsServiceDeps } from './service';
export { paymentsDefinition } from './definition';

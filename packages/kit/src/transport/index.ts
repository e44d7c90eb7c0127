export * from './types';
export { createRabbitTransport, type RabbitTransportOptions } from './rabbitmq';
export {
  createMemoryBroker,
  createMemoryTransport,
  memoryQueueCapacity,
  type MemoryBroker,
  type MemoryTransport,
  type MemoryTransportOptions,
} from './memory';
export { deliveryContext, retryQueueName, transportHeader } from './common';
export { jsonDepth, maxJsonDepth, stringifyParsedJson } from './json';

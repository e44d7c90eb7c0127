export * from './text';
export * from './money';
export * from './common';
export * from './ledger';
export * from './events';
export * from './catalog';
export * from './partitions';
export * from './payments';

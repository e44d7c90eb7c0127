export * from './postgres';
export * from './rabbit';
export * from './process';
export * from './eventually';

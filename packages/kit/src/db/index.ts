export * from './types';
export * from './postgres';
export * from './pglite';
export * from './migrations';

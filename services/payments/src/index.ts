/** The payments service's public surface. */
export * from './providers/port';

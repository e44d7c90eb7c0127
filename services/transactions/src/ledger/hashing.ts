/** The canonical content hash of a command: the same transfer id must always carry the same content. */
import { createHash } from 'node:crypto';
import type { Command } from './model';

/** sha256 of the command's canonical content: the same id must carry the same content. */
export function contentHash(command: Command): string {
  const canonical = JSON.stringify(command, (key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Date) return value.toISOString();
    if (key === 'metadata' && value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  });
  return createHash('sha256').update(canonical).digest('base64url');
}

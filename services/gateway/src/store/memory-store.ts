/**
 * A HotStore in process memory, for embedded mode (one process, no Redis).
 * Same contract as the Redis store (store.test.ts runs one suite against
 * both): values expire after their TTL; a window counter starts at its first
 * hit. Bounded: past `maxKeys` live keys, expired ones are swept, and if that
 * is not enough the oldest keys go first (a lost cache entry or rate-limit
 * counter is harmless; a lost revocation is not, so revocations are written
 * with the same TTL as Redis would keep them and the bound is set high).
 */
import type { HotStore } from './hot-store';

interface Entry {
  value: string;
  expiresAtMs: number;
}

export function createMemoryHotStore(options: { maxKeys?: number; now?: () => number } = {}): HotStore {
  const maxKeys = options.maxKeys ?? 1_000_000;
  const now = options.now ?? Date.now;
  // A Map keeps insertion order, so its first keys are the oldest.
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const makeRoom = () => {
    if (entries.size < maxKeys) return;
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAtMs <= at) entries.delete(key);
    for (const key of entries.keys()) {
      if (entries.size < maxKeys) break;
      entries.delete(key);
    }
  };

  const put = (key: string, value: string, ttlSeconds: number) => {
    entries.delete(key);
    makeRoom();
    entries.set(key, { value, expiresAtMs: now() + Math.max(1, Math.ceil(ttlSeconds)) * 1000 });
  };

  return {
    kind: 'memory',
    get: (key) => Promise.resolve(live(key)?.value),
    set(key, value, ttlSeconds) {
      put(key, value, ttlSeconds);
      return Promise.resolve();
    },
    delete(keys) {
      for (const key of keys) entries.delete(key);
      return Promise.resolve();
    },
    existsAny: (keys) => Promise.resolve(keys.some((key) => live(key) !== undefined)),
    hit(key, windowSeconds) {
      const entry = live(key);
      if (entry === undefined) {
        put(key, '1', windowSeconds);
        return Promise.resolve({ count: 1, resetSeconds: windowSeconds });
      }
      entry.value = String(Number(entry.value) + 1);
      return Promise.resolve({
        count: Number(entry.value),
        resetSeconds: Math.max(1, Math.ceil((entry.expiresAtMs - now()) / 1000)),
      });
    },
    ping: () => Promise.resolve(true),
  };
}

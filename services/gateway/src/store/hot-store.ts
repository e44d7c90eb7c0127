/**
 * The few Redis operations the gateway needs, behind one small interface: the
 * standalone service backs it with Redis (ioredis); embedded mode may back it
 * with anything that keeps the same contract. Keys are given without the
 * service's prefix; the implementation adds it.
 */
import type { Redis } from 'ioredis';

export interface WindowHit {
  /** Hits in the current window, this one included. */
  readonly count: number;
  /** Seconds until the window ends (at least 1). */
  readonly resetSeconds: number;
}

export interface HotStore {
  /** What holds the data, as /health/ready names it: `redis`, `memory`. */
  readonly kind: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** True when any of the keys exists. */
  existsAny(keys: readonly string[]): Promise<boolean>;
  /** Counts one hit in a fixed window of `windowSeconds` that starts at the first hit. */
  hit(key: string, windowSeconds: number): Promise<WindowHit>;
  ping(): Promise<boolean>;
}

/**
 * INCR and, for the window's first hit, EXPIRE, atomically: a crash between the
 * two can never leave a counter without an expiry.
 */
const hitScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

/** A HotStore on ioredis; `prefix` is put before every key. */
export function createRedisStore(redis: Redis, prefix: string): HotStore {
  const full = (key: string) => `${prefix}${key}`;
  return {
    kind: 'redis',
    async get(key) {
      const value = await redis.get(full(key));
      return value ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      await redis.set(full(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    },
    async delete(keys) {
      if (keys.length === 0) return;
      await redis.del(...keys.map(full));
    },
    async existsAny(keys) {
      if (keys.length === 0) return false;
      return (await redis.exists(...keys.map(full))) > 0;
    },
    async hit(key, windowSeconds) {
      const result = (await redis.eval(hitScript, 1, full(key), String(windowSeconds))) as [number, number];
      return { count: Number(result[0]), resetSeconds: Math.max(1, Number(result[1])) };
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
  };
}

/** The gateway's own metrics (besides the kit's HTTP and process metrics), at /metrics. */
import { Counter, type Registry } from 'prom-client';

export interface GatewayMetrics {
  /** Access tokens refused, by reason (algorithm, key_id, signature, expired, claims, malformed, revoked). */
  readonly tokenRejections: Counter<'reason'>;
  /** Used refresh tokens presented again: each ended a session. */
  readonly refreshTokenReuse: Counter;
  /** Requests answered 429, by limit. */
  readonly rateLimited: Counter<'limit'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    tokenRejections: new Counter({
      name: 'gateway_token_rejections_total',
      help: 'Access tokens refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    refreshTokenReuse: new Counter({
      name: 'gateway_refresh_token_reuse_total',
      help: 'Used refresh tokens presented again (each revoked its session)',
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429, by limit',
      labelNames: ['limit'],
      registers: [registry],
    }),
  };
}

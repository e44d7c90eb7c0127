/** The auth service's own metrics (process and HTTP metrics come from the kit). */
import { Counter, type Registry } from 'prom-client';

export type AuthenticationOutcome = 'success' | 'invalid_credentials' | 'rate_limited';

export interface AuthMetrics {
  readonly authentications: Counter<'outcome'>;
  readonly passwordRehashes: Counter;
  readonly apiKeyRejections: Counter<'reason'>;
}

export function createAuthMetrics(registry: Registry): AuthMetrics {
  return {
    authentications: new Counter({
      name: 'auth_authentications_total',
      help: 'Password checks (login, password and email changes) by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    passwordRehashes: new Counter({
      name: 'auth_password_rehashes_total',
      help: 'Stored hashes upgraded to the current argon2id parameters at login',
      registers: [registry],
    }),
    apiKeyRejections: new Counter({
      name: 'auth_api_key_rejections_total',
      help: 'Requests refused for a missing or invalid API key',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

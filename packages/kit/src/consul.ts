/**
 * Consul registration over the agent's HTTP API: the service registers itself
 * with an HTTP health check at start (when CONSUL_HTTP_ADDR is set) and
 * deregisters at shutdown.
 */
import type { Logger } from 'pino';

export interface ConsulRegistration {
  readonly consulAddress: string;
  readonly serviceName: string;
  readonly serviceId: string;
  readonly host: string;
  readonly port: number;
  readonly tags?: readonly string[];
}

export async function registerWithConsul(registration: ConsulRegistration, logger: Logger): Promise<() => Promise<void>> {
  const agent = new URL('/v1/agent/', registration.consulAddress);
  const body = {
    ID: registration.serviceId,
    Name: registration.serviceName,
    Address: registration.host,
    Port: registration.port,
    Tags: registration.tags ?? [],
    Check: {
      HTTP: `http://${registration.host}:${registration.port}/health/ready`,
      Interval: '10s',
      Timeout: '2s',
      DeregisterCriticalServiceAfter: '1m',
    },
  };
  const response = await fetch(new URL('service/register', agent), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`consul registration failed with HTTP ${response.status}`);
  logger.info({ serviceId: registration.serviceId }, 'registered with consul');
  return async () => {
    const deregister = await fetch(new URL(`service/deregister/${encodeURIComponent(registration.serviceId)}`, agent), {
      method: 'PUT',
      signal: AbortSignal.timeout(5000),
    });
    if (!deregister.ok) logger.warn({ status: deregister.status }, 'consul deregistration failed');
    else logger.info({ serviceId: registration.serviceId }, 'deregistered from consul');
  };
}

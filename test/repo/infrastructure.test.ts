/**
 * Docker cannot run here, so the compose file is checked as data: it parses,
 * it has every server of the platform and every service with a healthcheck,
 * its dependencies point at services that exist, its ports stay on 127.0.0.1,
 * and every variable it sets for a service is one that service's config reads.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { authConfigSpec } from '@t50/auth';
import type { ConfigSpec } from '@t50/kit';
import { transactionsConfigSpec } from '@t50/transactions/config';
import { parse } from 'yaml';
import { repositoryRoot } from '../../scripts/generate-docs';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const infrastructure = join(repositoryRoot, 'infrastructure');
const compose = parse(readFileSync(join(infrastructure, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

describe('infrastructure/docker-compose.yml', () => {
  it('has the platform servers, with the images they need', () => {
    assert.match(services.postgres?.image ?? '', /^postgres:/);
    assert.match(services.redis?.image ?? '', /^redis:/);
    assert.match(services.rabbitmq?.image ?? '', /^rabbitmq:.*management/, 'RabbitMQ with its management UI');
    assert.match(services.consul?.image ?? '', /consul/);
    assert.match(services.jaeger?.image ?? '', /^jaegertracing\/all-in-one:/);
    assert.equal(services.jaeger?.environment?.COLLECTOR_OTLP_ENABLED, 'true', 'Jaeger accepts OTLP');
  });

  it('runs each service from infrastructure/Dockerfile with tsx, and the entry points exist', () => {
    for (const name of ['transactions', 'auth', 'gateway']) {
      const service = services[name];
      assert.ok(service !== undefined, `${name} is in the compose file`);
      assert.deepEqual(service.build, { context: '..', dockerfile: 'infrastructure/Dockerfile' });
      assert.deepEqual(service.command?.slice(0, 3), ['node', '--import', 'tsx']);
      const entry = service.command?.[3] ?? '';
      // The gateway is written alongside; check its entry once its folder is there.
      if (existsSync(join(repositoryRoot, 'services', name)))
        assert.ok(existsSync(join(repositoryRoot, entry)), `${entry} exists`);
      assert.equal(service.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318');
      assert.equal(service.environment?.CONSUL_HTTP_ADDR, 'http://consul:8500');
    }
    const dockerfile = readFileSync(join(infrastructure, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:24-/m, 'the current LTS');
    assert.match(dockerfile, /npm ci/);
    assert.ok(existsSync(join(infrastructure, 'Dockerfile.dockerignore')), 'the Dockerfile has its own dockerignore');
  });

  it('gives every container a healthcheck and depends only on services that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok((service.healthcheck?.test.length ?? 0) > 0, `${name} has a healthcheck`);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        assert.ok(dependency in services, `${name} depends on ${dependency}, which is defined`);
        assert.ok(
          ['service_healthy', 'service_started'].includes(condition),
          `${name} waits for ${dependency} to be healthy or started, not ${condition}`,
        );
      }
      for (const port of service.ports ?? [])
        assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} on localhost only`);
    }
  });

  it('sets only variables the services read, and every required one', () => {
    const specs: Record<string, ConfigSpec> = { transactions: transactionsConfigSpec, auth: authConfigSpec };
    for (const [name, spec] of Object.entries(specs)) {
      const environment = services[name]?.environment ?? {};
      for (const variable of Object.keys(environment)) assert.ok(variable in spec, `${name} reads ${variable}`);
      for (const [variable, key] of Object.entries(spec)) {
        if (key.default === undefined) assert.ok(variable in environment, `${name} gets its required ${variable}`);
      }
    }
    assert.match(
      services.transactions?.environment?.TRANSACTIONS_DATABASE_URL ?? '',
      /@postgres:5432\/t50_transactions$/,
    );
    assert.match(services.auth?.environment?.AUTH_DATABASE_URL ?? '', /@postgres:5432\/t50_auth$/);
  });
});

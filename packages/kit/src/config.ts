/**
 * Typed configuration read from the environment once, at start.
 *
 * Each service declares its keys with a parser, a default (or none: then the key
 * is required) and a line of documentation. `loadConfig` validates every key and
 * fails with the names of all that are missing or wrong, never with a value
 * (values may be secrets). This module is the only place that reads
 * `process.env`; everything else receives a typed config object.
 */

export interface ConfigKey<T> {
  readonly parse: (raw: string) => T;
  /** Undefined: the key is required. */
  readonly default?: T;
  readonly doc: string;
  /** Secrets are never echoed in errors or in `describeConfig`. */
  readonly secret?: boolean;
}

export type ConfigSpec = Record<string, ConfigKey<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends ConfigKey<infer T> ? T : never };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

export function loadConfig<S extends ConfigSpec>(
  spec: S,
  environment: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(spec)) {
    const raw = environment[name];
    if (raw === undefined || raw === '') {
      if (key.default === undefined && !('default' in key)) problems.push(`${name} is required (${key.doc})`);
      else result[name] = key.default;
      continue;
    }
    try {
      result[name] = key.parse(raw);
    } catch (error) {
      problems.push(`${name} is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<S>;
}

/** One line per key, for `--help` output and docs. */
export function describeConfig(spec: ConfigSpec): string[] {
  return Object.entries(spec).map(([name, key]) => {
    const fallback = key.default === undefined ? 'required' : key.secret ? 'default: (secret)' : `default: ${JSON.stringify(key.default)}`;
    return `${name} (${fallback}): ${key.doc}`;
  });
}

// Parsers. Each throws with a short reason that names no value.
export const string = (raw: string): string => raw;

export const integer =
  (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error('expected a whole number');
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`expected a number from ${min} to ${max}`);
    return value;
  };

export const boolean = (raw: string): boolean => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error('expected true or false');
};

export const url = (raw: string): string => {
  try {
    new URL(raw);
  } catch {
    throw new Error('expected a URL');
  }
  return raw;
};

export const oneOf =
  <T extends string>(...values: readonly T[]) =>
  (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
    return raw as T;
  };

/** Config keys every service shares. */
export const commonConfig = {
  LOG_LEVEL: {
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    default: 'info',
    doc: 'pino log level',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    parse: url,
    default: '',
    doc: 'OTLP/HTTP collector (e.g. Jaeger at http://127.0.0.1:4318); traces are exported only when set',
  },
  CONSUL_HTTP_ADDR: {
    parse: url,
    default: '',
    doc: 'Consul agent (e.g. http://127.0.0.1:8500); the service registers itself with a health check only when set',
  },
  SERVICE_ADVERTISE_HOST: {
    parse: string,
    default: '127.0.0.1',
    doc: 'address other services and Consul reach this service at',
  },
} satisfies ConfigSpec;

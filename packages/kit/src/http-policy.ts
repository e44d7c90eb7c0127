/**
 * The HTTP policy every service inherits from createHttpServer: how requests
 * are validated, which headers every answer carries, and what of a request
 * reaches a log line or a span.
 *
 * Validation:
 * - a body is never coerced: a JSON number where the schema says string (an
 *   amount, a version, a password) is a 400, so HTTP and the broker (which
 *   validates the same schemas without coercion) agree on what is valid;
 * - path parameters and query strings arrive as text and are coerced to the
 *   schema's types (`?limit=10` is the number 10);
 * - objects are closed: an object schema that does not say otherwise refuses
 *   properties it does not name;
 * - a body that is a union of envelopes (`{ type: 'ledger.transfer.create', ... }`)
 *   is validated against the member its `type` names, so a bad field gets one
 *   error naming that field instead of one error per member.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema } from 'fastify';

type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A copy of `schema` in which every object schema that does not set
 * `additionalProperties` (or `unevaluatedProperties`) sets it to false.
 * Members of an `allOf` stay open: they describe parts of one object.
 */
export function closeSchema<T>(schema: T): T {
  return close(schema, false) as T;
}

function close(node: unknown, insideAllOf: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => close(item, insideAllOf));
  if (!isRecord(node)) return node;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'properties':
      case 'patternProperties':
      case '$defs':
      case 'definitions':
        copy[key] = isRecord(value) ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, close(sub, false)])) : value;
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
      case 'anyOf':
      case 'oneOf':
        copy[key] = close(value, false);
        break;
      case 'allOf':
        copy[key] = close(value, true);
        break;
      default:
        copy[key] = value;
    }
  }
  const isObject = copy.type === 'object' || copy.properties !== undefined || copy.patternProperties !== undefined;
  if (isObject && !insideAllOf && copy.additionalProperties === undefined && copy.unevaluatedProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}

const shared: Options = {
  useDefaults: true,
  removeAdditional: false,
  // Every schema is closed and length-bounded, so reporting all errors is cheap.
  allErrors: true,
  strict: true,
  strictRequired: false,
};

function newAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...shared, ...options });
  addFormats(ajv);
  // OpenAPI annotations some schemas carry.
  ajv.addKeyword('example');
  return ajv;
}

/**
 * The members of a union of objects that each fix `type` to a constant, by
 * that constant; undefined when the schema is not such a union.
 */
function discriminatedMembers(schema: Schema): Map<string, Schema> | undefined {
  const members = schema.anyOf ?? schema.oneOf;
  if (!Array.isArray(members) || members.length < 2) return undefined;
  const byType = new Map<string, Schema>();
  for (const member of members) {
    if (!isRecord(member) || !isRecord(member.properties)) return undefined;
    const type = member.properties.type;
    if (!isRecord(type) || typeof type.const !== 'string' || byType.has(type.const)) return undefined;
    byType.set(type.const, member);
  }
  return byType;
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function compileDiscriminated(ajv: Ajv, byType: Map<string, Schema>): Validator {
  const compiled = new Map<string, ValidateFunction>([...byType].map(([type, member]) => [type, ajv.compile(member)]));
  const known = [...compiled.keys()];
  const validate: Validator = (data: unknown) => {
    const type = isRecord(data) ? data.type : undefined;
    const member = typeof type === 'string' ? compiled.get(type) : undefined;
    if (member === undefined) {
      validate.errors = [
        {
          instancePath: '/type',
          schemaPath: '#/discriminator',
          keyword: 'discriminator',
          params: { allowedValues: known },
          message: `must be one of ${known.join(', ')}`,
        },
      ];
      return false;
    }
    const ok = member(data);
    validate.errors = member.errors ?? null;
    return ok;
  };
  return validate;
}

export interface ValidationPolicy {
  compile(input: { schema: FastifySchema | Schema; httpPart?: string }): Validator;
}

export function createValidationPolicy(): ValidationPolicy {
  const strict = newAjv({ coerceTypes: false });
  const coercing = newAjv({ coerceTypes: 'array' });
  return {
    compile({ schema, httpPart }) {
      // Headers are open by nature: a request carries many a schema does not name.
      if (httpPart === 'headers') return coercing.compile(schema as Schema) as Validator;
      const closed = closeSchema(schema as Schema);
      if (httpPart !== 'body') return coercing.compile(closed) as Validator;
      const byType = discriminatedMembers(closed);
      return byType === undefined ? (strict.compile(closed) as Validator) : compileDiscriminated(strict, byType);
    },
  };
}

/** Options of the security headers every answer carries. */
export interface SecurityHeaderOptions {
  /** The service is reached over TLS (its cookies are Secure): add Strict-Transport-Security. */
  readonly hsts?: boolean;
}

/**
 * The headers every answer carries unless the route set its own: answers are
 * personal, so not stored by caches; the content type is not sniffed; an API
 * answer is never framed; no referrer leaves. A route that serves a page sets
 * its own Content-Security-Policy or Cache-Control and keeps it.
 */
export function securityHeaders(options: SecurityHeaderOptions): readonly (readonly [string, string])[] {
  return [
    ['cache-control', 'no-store'],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['content-security-policy', "frame-ancestors 'none'"],
    ['referrer-policy', 'no-referrer'],
    ...(options.hsts === true ? ([['strict-transport-security', 'max-age=31536000; includeSubDomains']] as const) : []),
  ];
}

/** The path of a request target without its query string (which may carry a token or a key). */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

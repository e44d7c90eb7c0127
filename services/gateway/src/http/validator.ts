/**
 * The validator for the gateway's routes. Bodies are validated without type
 * coercion (a JSON number is not a password, a one-element array is not an
 * email); query strings, path parameters and headers arrive as text, so those
 * are coerced to the schema's types (`?limit=10` is the number 10).
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { HttpServer } from '@t50/kit';

const shared: Options = { useDefaults: true, removeAdditional: false, allErrors: true, strict: true };

export function useGatewayValidation(scope: HttpServer): void {
  const strict = new Ajv({ ...shared, coerceTypes: false });
  const coercing = new Ajv({ ...shared, coerceTypes: true });
  for (const ajv of [strict, coercing]) {
    addFormats(ajv);
    // OpenAPI annotations the schemas carry.
    ajv.addKeyword('example');
  }
  scope.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
  );
}

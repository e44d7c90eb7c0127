/**
 * The validator for this service's routes: Ajv without type coercion. The kit's
 * default coerces (`coerceTypes: 'array'`), which would turn a JSON number or a
 * one-element array into a string password and store it; here a wrong type is a
 * 400, as the contract says.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { HttpServer } from '@t50/kit';

const options: Options = {
  coerceTypes: false,
  useDefaults: true,
  removeAdditional: false,
  // Every schema here is closed and length-bounded, so reporting all errors is cheap.
  allErrors: true,
  strict: true,
};

export function useStrictValidation(scope: HttpServer): void {
  const ajv = new Ajv(options);
  addFormats(ajv);
  scope.setValidatorCompiler(({ schema }) => ajv.compile(schema));
}

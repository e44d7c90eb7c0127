/**
 * A failed request, ready to show: one sentence for the whole form and one
 * message per field, never raw JSON. Problem documents come from the gateway
 * (RFC 9457, with `errors[].path` like "body/address/postalCode").
 */
import type { Problem } from './client';

export interface Shown {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly extra: Readonly<Record<string, unknown>>;
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as { title?: unknown }).title === 'string';
}

/** "body/address/postalCode" -> "address.postalCode"; "body" alone (a missing property) -> "" */
export function fieldKey(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '' && part !== 'body' && part !== 'querystring' && part !== 'params')
    .join('.');
}

export function describe(error: unknown, status = 0): Shown {
  if (isProblem(error)) {
    const fields: Record<string, string> = {};
    for (const issue of error.errors ?? []) {
      const key = fieldKey(issue.path);
      if (key !== '' && fields[key] === undefined) fields[key] = sentence(issue.message.replace(/\bNOT\b/g, 'not'));
    }
    if (Object.keys(fields).length > 0)
      return {
        code: error.code,
        status: error.status,
        message: `${sentence(error.title)} Check the marked fields.`,
        fields,
        extra: error,
      };
    const detail = typeof error.detail === 'string' && error.detail !== '' ? ` ${sentence(error.detail, false)}` : '';
    return {
      code: error.code,
      status: error.status,
      message: `${sentence(error.title)}${detail}`,
      fields,
      extra: error,
    };
  }
  if (error instanceof TypeError)
    return {
      code: 'network',
      status: 0,
      message: 'The server could not be reached. Check your connection and try again.',
      fields: {},
      extra: {},
    };
  return {
    code: 'unexpected',
    status,
    message: status >= 500 ? 'The server failed to answer. Try again in a moment.' : 'Something went wrong. Try again.',
    fields: {},
    extra: {},
  };
}

function sentence(text: string, capitalise = true): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capital = capitalise ? trimmed.charAt(0).toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Throws the described problem so react-query's error state holds a Shown. */
export class ShownError extends Error {
  constructor(readonly shown: Shown) {
    super(shown.message);
  }
}

/** Unwraps an openapi-fetch result: the data, or a ShownError. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined)
    throw new ShownError(describe(result.error, result.response.status));
  return result.data;
}

export function shownOf(error: unknown): Shown {
  return error instanceof ShownError ? error.shown : describe(error);
}

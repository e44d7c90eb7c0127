/**
 * How a domain's expected outcomes become answers. Each domain folder owns its
 * failures (`kyc/errors.ts`: `enum KycError` and `kycProblems`, a Record over
 * the enum, so a new failure without its answer does not compile); this file
 * only carries them: the `Result` a use case returns and the problem document
 * a route throws. There is no service-wide list of failures.
 *
 * Unexpected errors are not here: they throw (a failed call to auth or the
 * ledger throws `DependencyError`, clients/dependency-error.ts) and the kit
 * answers them with a 500 problem document carrying the request id.
 */
import { HttpProblem } from '@t50/kit';

/** The problem document a failure is answered with. `code` is the stable one clients branch on. */
export interface ProblemSpec {
  readonly status: number;
  readonly code: string;
  readonly title: string;
}

/** Every failure of a domain mapped to its answer; exhaustive by construction. */
export type ProblemMap<E extends string> = { readonly [K in E]: ProblemSpec };

export interface Failure<E extends string> {
  readonly error: E;
  readonly detail?: string;
  /** Extra members of the problem document, e.g. `reason`, `requiredTier`. */
  readonly extensions?: Record<string, unknown>;
  /** Only for rate limits: seconds until the window ends (also sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

export type Result<T, E extends string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: Failure<E> };

export const succeed = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });

export const fail = <E extends string>(
  error: E,
  detail?: string,
  extensions?: Record<string, unknown>,
): { readonly ok: false; readonly failure: Failure<E> } => ({
  ok: false,
  failure: {
    error,
    ...(detail === undefined ? {} : { detail }),
    ...(extensions === undefined ? {} : { extensions }),
  },
});

/** The problem document of a failure, from its domain's map. */
export function toProblem<E extends string>(problems: ProblemMap<E>, failure: Failure<E>): HttpProblem {
  const { status, code, title } = problems[failure.error];
  const extensions = {
    ...failure.extensions,
    ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
  };
  return new HttpProblem(status, code, title, failure.detail, extensions);
}

/** Unwraps a result in a route: the value, or the failure thrown as its problem document. */
export function valueOr<T, E extends string>(
  result: Result<T, E>,
  problems: ProblemMap<E>,
  reply?: { header(name: string, value: string): unknown },
): T {
  if (result.ok) return result.value;
  if (result.failure.retryAfterSeconds !== undefined)
    reply?.header('retry-after', String(result.failure.retryAfterSeconds));
  throw toProblem(problems, result.failure);
}

/**
 * Problem documents (RFC 9457). Every HTTP error of every service is one of
 * these; a stack trace never leaves the process.
 */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  /** Stable machine-readable code, e.g. `insufficient_funds`. */
  readonly code: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  readonly [extension: string]: unknown;
}

export const problemTypeBase = 'https://transactions50.dev/problems/';

/** An expected failure that maps onto an HTTP status. Throw it from a route; the error handler answers it. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }

  toDocument(instance?: string): ProblemDocument {
    return {
      type: `${problemTypeBase}${this.code}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
      ...this.extensions,
    };
  }
}

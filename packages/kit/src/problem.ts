/**
 * Problem documents (RFC 9457). Every HTTP error of every service is one of
 * these; a stack trace never leaves the process.
 */
import { Type } from '@sinclair/typebox';
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

/**
 * The shape of a problem document as a schema, for the OpenAPI documents and
 * the response serialisers of the services' routes. Open to extensions
 * (`reason`, `retryAfterSeconds`).
 */
export const ProblemDocumentSchema = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. invalid_request' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'An RFC 9457 problem document' },
);

/** Response schemas for the given error statuses, each a problem document. */
export function problemResponses<Status extends number>(
  ...statuses: readonly Status[]
): Record<Status, typeof ProblemDocumentSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemDocumentSchema])) as Record<
    Status,
    typeof ProblemDocumentSchema
  >;
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

/**
 * The shape of the kit's problem documents (RFC 9457), for the OpenAPI document
 * and the response serialiser. Open to extensions (`reason`, `retryAfterSeconds`).
 */
import { Type } from '@sinclair/typebox';

export const ProblemDocument = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. tier_too_low' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'An RFC 9457 problem document' },
);

/** Response schemas for the given error statuses, each a problem document. */
export function problemResponses<Status extends number>(
  ...statuses: readonly Status[]
): Record<Status, typeof ProblemDocument> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemDocument])) as Record<
    Status,
    typeof ProblemDocument
  >;
}

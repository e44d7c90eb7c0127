import { Type, type TSchema } from '@sinclair/typebox';

/** Ids chosen by producers: letters, digits and `:._-`, at most 128 characters. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9:._@-]{1,128}$', description: 'An id chosen by its producer' });

export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 time' });

/** Every message on the broker is this envelope; `type` names the schema of `data`. */
export const envelope = <Kind extends string, Data extends TSchema>(type: Kind, data: Data, description: string) =>
  Type.Object(
    {
      id: Id,
      type: Type.Literal(type),
      version: Type.Literal(1),
      occurredAt: Type.Optional(Timestamp),
      data,
    },
    { additionalProperties: false, $id: type, description },
  );

/**
 * A service API key made by the auth service (its keys CLI): `t50_<8 hex>_<43 base64url>`.
 * Configuration checks a key against this at start, so a key captured with other output
 * (a banner, a newline, quotes) stops the start instead of failing every call later.
 */
export const authApiKeyPattern = /^t50_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

/**
 * Any other service API key (the ledger's keys are chosen by whoever deploys it, e.g.
 * `openssl rand -hex 32`): 32 to 512 characters from letters, digits and `._~+/=-`; never a space,
 * a quote or a line break.
 */
export const serviceApiKeyPattern = /^[A-Za-z0-9._~+/=-]{32,512}$/;

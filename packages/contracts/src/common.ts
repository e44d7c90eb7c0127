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

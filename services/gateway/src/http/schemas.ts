/**
 * Bodies and views shared by several route modules. Every body is closed
 * (additionalProperties false) and bounded.
 */
import { Type } from '@sinclair/typebox';
import { Text } from '@t50/contracts';

export const Email = Text({
  minLength: 3,
  maxLength: 320,
  description: 'An email address; surrounding spaces and letter case are ignored',
  examples: ['ada@example.com'],
});

export const Password = Text({
  minLength: 1,
  maxLength: 1024,
  description: 'The password as the user typed it',
});

export const NewPassword = Text({
  minLength: 1,
  maxLength: 1024,
  description: 'A new password: 12 to 256 characters, not a common password (the auth service decides)',
});

export const Uuid = Type.String({ format: 'uuid' });

export const TierSchema = Type.Union([Type.Literal('browsing'), Type.Literal('basic'), Type.Literal('full')]);

export const UserSummaryView = Type.Object(
  {
    userId: Uuid,
    email: Type.String(),
    tier: TierSchema,
    role: Type.Union([Type.Literal('user'), Type.Literal('operator')]),
    kyc: Type.Object({
      level1: Type.Boolean(),
      level2: Type.Union([
        Type.Literal('none'),
        Type.Literal('pending'),
        Type.Literal('approved'),
        Type.Literal('rejected'),
      ]),
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'Hot user data: profile summary and tier' },
);

export const NoContent = Type.Null({ description: 'No content' });

/** The query of a route that takes none: any parameter is refused (400), never silently ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

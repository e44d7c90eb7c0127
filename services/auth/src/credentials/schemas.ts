/**
 * Request and response bodies of the credential routes: one TypeBox schema each,
 * the validator, the TypeScript type and the OpenAPI document at once. Bodies
 * are closed (additionalProperties false) and validated without type coercion
 * (the kit's policy); text never contains U+0000.
 */
import { Type } from '@sinclair/typebox';
import { Text } from '@t50/contracts';
import { passwordMaxLength, passwordMinLength } from './policy';

/**
 * The largest password accepted as input at all. Above the policy's maximum, so
 * that a too-long new password gets the policy's `weak_password` answer; far
 * below anything that would make hashing expensive.
 */
export const passwordInputMaxLength = 1024;

const UserId = Type.String({ format: 'uuid', description: 'The user id this service assigned' });

const Email = Text({
  minLength: 1,
  maxLength: 320,
  description: 'An email address; surrounding spaces and letter case are ignored',
  examples: ['ada@example.com'],
});

const Password = Text({
  minLength: 1,
  maxLength: passwordInputMaxLength,
  description: 'The password as the user typed it',
});

const NewPassword = Text({
  minLength: 1,
  maxLength: passwordInputMaxLength,
  description: `A new password: ${passwordMinLength} to ${passwordMaxLength} characters, not a common password`,
});

export const CreateCredentialBody = Type.Object(
  { email: Email, password: NewPassword },
  { additionalProperties: false },
);

export const AuthenticateBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });

export const ChangePasswordBody = Type.Object(
  { currentPassword: Password, newPassword: NewPassword },
  { additionalProperties: false },
);

export const ChangeEmailBody = Type.Object({ password: Password, email: Email }, { additionalProperties: false });

export const UserIdParams = Type.Object({ userId: UserId }, { additionalProperties: false });

export const ClientAddressHeaders = Type.Object({
  'x-client-address': Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        "The end user's IP address, as the calling service saw it; failed password checks are limited per address. " +
        "Without it the caller's own address counts.",
    }),
  ),
});

export const CredentialView = Type.Object(
  { userId: UserId, email: Type.String({ description: 'The normalised email' }) },
  { additionalProperties: false },
);

export const AuthenticatedView = Type.Object({ userId: UserId }, { additionalProperties: false });

export const NoContent = Type.Null({ description: 'No content' });

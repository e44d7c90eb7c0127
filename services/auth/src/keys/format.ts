/**
 * Service API keys: `t50_<prefix>_<secret>`. The prefix (8 hex characters, 32
 * random bits) is public and finds the key's row; the secret is 32 random bytes
 * in base64url (43 characters). Only the SHA-256 of the whole key is stored: a
 * key this random cannot be guessed from its hash, so a slow hash buys nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const secretBytes = 32;
const keyPattern = /^t50_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;
export const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface GeneratedKey {
  readonly plaintext: string;
  readonly prefix: string;
  readonly sha256: Buffer;
}

export function generateKey(): GeneratedKey {
  const prefix = randomBytes(4).toString('hex');
  const plaintext = `t50_${prefix}_${randomBytes(secretBytes).toString('base64url')}`;
  return { plaintext, prefix, sha256: hashKey(plaintext) };
}

export function hashKey(plaintext: string): Buffer {
  return createHash('sha256').update(plaintext, 'utf8').digest();
}

/** The prefix of a well-formed key, or undefined. */
export function prefixOf(plaintext: string): string | undefined {
  return keyPattern.exec(plaintext)?.[1];
}

/** Constant-time comparison of two SHA-256 digests. */
export function sameDigest(left: Buffer, right: Buffer): boolean {
  return left.length === right.length && timingSafeEqual(left, right);
}

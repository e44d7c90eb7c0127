/**
 * Access tokens: JWTs signed with the gateway's Ed25519 key (EdDSA), carrying
 * kid, iss, aud, sub (the user id), sid (the session: the refresh-token
 * family), jti, iat and exp. Verification accepts exactly one algorithm and one
 * key id: a token with `alg: none`, another algorithm (e.g. HS256 "signed" with
 * the public key), another kid, a bad signature, a wrong issuer or audience, or
 * a past expiry is refused. Revocation is checked by the caller (Redis).
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import type { SigningKey } from '../config';

export const accessTokenAlgorithm = 'EdDSA';

export interface AccessClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly tokenId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly claims: AccessClaims;
}

/** Why a token was refused; logged, never sent to the client (which only learns "invalid"). */
export type TokenRejection = 'malformed' | 'algorithm' | 'key_id' | 'signature' | 'expired' | 'claims';

export type VerifiedToken =
  { readonly ok: true; readonly claims: AccessClaims } | { readonly ok: false; readonly reason: TokenRejection };

export interface TokenIssuer {
  readonly keyId: string;
  issue(userId: string, sessionId: string): Promise<IssuedAccessToken>;
  verify(token: string): Promise<VerifiedToken>;
  /** The public key set other services verify tokens with. */
  jwks(): { keys: JWK[] };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function createTokenIssuer(options: {
  readonly signingKey: SigningKey;
  /** Empty: the RFC 7638 thumbprint of the public key. */
  readonly keyId: string;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  /** The clock, in milliseconds (tests move it). */
  readonly now?: () => number;
}): Promise<TokenIssuer> {
  const { signingKey, issuer, audience, ttlSeconds } = options;
  const now = options.now ?? Date.now;
  const publicJwk = await exportJWK(signingKey.publicKey);
  const keyId = options.keyId !== '' ? options.keyId : await calculateJwkThumbprint(publicJwk);
  const published: JWK = { ...publicJwk, kid: keyId, alg: accessTokenAlgorithm, use: 'sig' };

  return {
    keyId,
    async issue(userId, sessionId) {
      const issuedAt = Math.floor(now() / 1000);
      const tokenId = randomUUID();
      const expiresAt = issuedAt + ttlSeconds;
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: accessTokenAlgorithm, kid: keyId, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(userId)
        .setJti(tokenId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(signingKey.privateKey);
      return { token, claims: { userId, sessionId, tokenId, expiresAt } };
    },

    async verify(token) {
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      // Checked before any cryptography, so no other algorithm's code path is ever reached.
      if (header.alg !== accessTokenAlgorithm) return { ok: false, reason: 'algorithm' };
      if (header.kid !== keyId) return { ok: false, reason: 'key_id' };
      try {
        const { payload } = await jwtVerify(token, signingKey.publicKey, {
          algorithms: [accessTokenAlgorithm],
          issuer,
          audience,
          requiredClaims: ['sub', 'jti', 'exp', 'iat', 'sid'],
          currentDate: new Date(now()),
          clockTolerance: 0,
        });
        const { sub, sid, jti, exp } = payload;
        if (
          typeof sub !== 'string' ||
          !uuidPattern.test(sub) ||
          typeof sid !== 'string' ||
          !uuidPattern.test(sid) ||
          typeof jti !== 'string' ||
          !uuidPattern.test(jti) ||
          typeof exp !== 'number'
        ) {
          return { ok: false, reason: 'claims' };
        }
        return { ok: true, claims: { userId: sub, sessionId: sid, tokenId: jti, expiresAt: exp } };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
        if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { ok: false, reason: 'signature' };
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return { ok: false, reason: 'claims' };
        return { ok: false, reason: 'malformed' };
      }
    },

    jwks() {
      return { keys: [published] };
    },
  };
}

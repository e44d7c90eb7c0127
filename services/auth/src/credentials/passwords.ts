/**
 * Password hashing with argon2id. The PHC string stores the parameters with the
 * hash, so they can be raised at any time: a hash made with other parameters is
 * replaced at its owner's next successful login (`needsRehash`).
 */
import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options, type Version } from '@node-rs/argon2';

// The package declares these as `const enum`s, which isolatedModules cannot
// read; the values are fixed by its API (and by the PHC strings it writes).
const argon2id = 2 as Algorithm;
const version19 = 1 as Version;

export interface Argon2Parameters {
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
}

export interface PasswordHasher {
  readonly parameters: Argon2Parameters;
  /** A PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`) with the current parameters. */
  hash(password: string): Promise<string>;
  verify(phc: string, password: string): Promise<boolean>;
  /**
   * Does the work of a verification against a hash of an unknown random
   * password, so that an unknown email takes as long as a wrong password.
   * Always false.
   */
  verifyDummy(password: string): Promise<false>;
  /** True when `phc` was made with an algorithm or parameters other than the current ones. */
  needsRehash(phc: string): boolean;
}

export async function createPasswordHasher(parameters: Argon2Parameters): Promise<PasswordHasher> {
  const options: Options = {
    algorithm: argon2id,
    version: version19,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.iterations,
    parallelism: parameters.parallelism,
  };
  const dummyHash = await hash(randomBytes(32).toString('base64url'), options);
  return {
    parameters,
    hash: (password) => hash(password, options),
    verify: (phc, password) => verify(phc, password),
    async verifyDummy(password) {
      await verify(dummyHash, password);
      return false;
    },
    needsRehash(phc) {
      const stored = parseOptions(phc);
      return (
        stored.algorithm !== argon2id ||
        stored.version !== version19 ||
        stored.memoryCost !== parameters.memoryKib ||
        stored.timeCost !== parameters.iterations ||
        stored.parallelism !== parameters.parallelism
      );
    },
  };
}

/**
 * Passwords are compared in Unicode NFKC form (NIST SP 800-63B 5.1.1.2), so the
 * same password typed on two keyboards that encode it differently still matches.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Password hashing with argon2id (PHC strings, `$argon2id$...`). The default cost follows the
 * OWASP recommendation (19 MiB, 2 passes); verifying an unknown account still hashes, so a
 * login answers in the same time whether or not the email exists.
 */
import argon2, { type HashOptions } from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password, a null hash (no password set) or a malformed hash. */
  verify(hash: string | null, password: string): Promise<boolean>;
}

export interface HashCost {
  memoryCost: number;
  timeCost: number;
}

const DEFAULT_HASH_COST: HashCost = { memoryCost: 19_456, timeCost: 2 };

export function createPasswordHasher(cost: HashCost = DEFAULT_HASH_COST): PasswordHasher {
  const opts: HashOptions = { type: argon2.argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 };
  let dummy: Promise<string> | null = null;
  return {
    hash: (password) => argon2.hash(password, opts),
    async verify(hash, password) {
      if (!hash) {
        dummy ??= argon2.hash('not a real password, for timing', opts);
        await argon2.verify(await dummy, password).catch(() => false);
        return false;
      }
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
  };
}

/**
 * Random secrets and their storage form: session tokens, invite tokens and API tokens are 32
 * random bytes (base64url); the database keeps only their SHA-256, which is enough for
 * high-entropy secrets (no slow hash needed). Passwords use argon2id (passwords.ts).
 */
import { createHash, randomBytes } from 'node:crypto';

export const randomSecret = (): string => randomBytes(32).toString('base64url');

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** API token secrets: `sp_` + 32 random bytes, recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = 'sp_';
export const newApiTokenSecret = (): string => `${API_TOKEN_PREFIX}${randomSecret()}`;
/** What may be shown of a token after creation. */
export const tokenDisplayPrefix = (secret: string): string => secret.slice(0, API_TOKEN_PREFIX.length + 6);

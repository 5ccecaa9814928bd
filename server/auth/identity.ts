/**
 * Builds the identity services one server process uses (authenticator, audit log, hasher, login
 * limiter, optional OIDC) from the AuthOptions, as the AuthDeps the routes take.
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import type { AuthDeps } from './auth-deps.ts';
import type { AuthOptions } from './auth-options.ts';
import { createAuthenticator } from './authenticator.ts';
import { createOidcLogin } from './oidc.ts';
import { createOriginPolicy } from './origin-policy.ts';
import { createPasswordHasher } from './passwords.ts';
import { createLoginLimiter, DEFAULT_RATE_LIMIT } from './rate-limit.ts';

/** `true` is one proxy (the usual single reverse proxy); a number is that many; off is 0. */
function proxyHopsOf(trust: boolean | number | undefined): number {
  if (trust === true) return 1;
  return typeof trust === 'number' ? Math.max(0, Math.floor(trust)) : 0;
}

export function createIdentity(deps: { sql: Sql; logger: Logger; options: AuthOptions; port: number }): AuthDeps {
  const { sql, logger, options } = deps;
  const sessionTtlMs = (options.sessionTtlHours ?? 12) * 3600_000;
  const publicUrl = (options.publicUrl ?? `http://localhost:${deps.port}`).replace(/\/$/, '');
  const identity: AuthDeps = {
    sql,
    logger,
    auth: createAuthenticator({ sql, logger, sessionTtlMs, cacheMs: options.credentialCacheMs }),
    audit: createAuditLog(sql),
    hasher: createPasswordHasher(options.hashCost),
    limiter: createLoginLimiter(sql, { ...DEFAULT_RATE_LIMIT, ...options.rateLimit }),
    sessionTtlMs,
    publicUrl,
    proxyHops: proxyHopsOf(options.trustProxy),
    oidc: null,
    // Only an explicit PUBLIC_URL pins the origin; the default stands for "wherever it was reached".
    origins: createOriginPolicy({ publicUrl: options.publicUrl, allowedOrigins: options.allowedOrigins }),
  };
  if (options.oidc) identity.oidc = createOidcLogin({ config: options.oidc, publicUrl: () => identity.publicUrl, logger });
  return identity;
}

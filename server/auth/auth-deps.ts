/**
 * What the identity routes need, built once in server.ts and passed in (no module state).
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Authenticator } from './authenticator.ts';
import type { PasswordHasher } from './passwords.ts';
import type { LoginLimiter } from './rate-limit.ts';
import type { OriginPolicy } from './origin-policy.ts';

/** Configured single sign-on (oidc.ts): the routes start and finish the code flow through it. */
export interface OidcLogin {
  /** Shown on the login button. */
  label: string;
  /**
   * The provider URL to redirect to, and the signed cookie value holding state/nonce/PKCE.
   * `link`: the flow links the identity to this signed-in account instead of signing in.
   */
  start(link?: OidcLink): Promise<{ url: string; cookie: string }>;
  /** Finish the code flow: the verified identity and the role its claims map to (null = refused). */
  finish(callbackUrl: URL, cookie: string): Promise<OidcIdentity>;
}

/** A signed-in account asking to link an OIDC identity (carried in the signed flow cookie). */
export interface OidcLink {
  userId: string;
  /** The session that asked: the link is refused if it ended meanwhile. */
  sessionId: string;
}

export interface OidcIdentity {
  subject: string;
  email: string | null;
  /** The provider vouches for the email (`email_verified: true`); only then may it link an existing account. */
  emailVerified: boolean;
  name: string | null;
  role: import('../../shared/permissions.ts').Role | null;
  /** Set when the flow was started to link a signed-in account. */
  link: OidcLink | null;
}

export interface AuthDeps {
  sql: Sql;
  logger: Logger;
  auth: Authenticator;
  audit: AuditLog;
  hasher: PasswordHasher;
  limiter: LoginLimiter;
  sessionTtlMs: number;
  /** Base URL for invitation links and OIDC redirects. */
  publicUrl: string;
  /** Trusted reverse proxies in front (TRUST_PROXY, TRUST_PROXY_HOPS; 0 = none): http/forwarded.ts. */
  proxyHops: number;
  /** Configured single sign-on, or null. */
  oidc: OidcLogin | null;
  /** Browser origins that may open /sync sockets (origin-policy.ts). */
  origins: OriginPolicy;
}

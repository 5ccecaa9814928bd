/**
 * The identity settings startServer takes (config.ts reads them from the environment; tests
 * pass them directly and never touch process.env).
 */
import type { Role } from '../../shared/permissions.ts';
import type { HashCost } from './passwords.ts';
import type { RateLimitOptions } from './rate-limit.ts';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The claim holding the user's groups or role (default `groups`). */
  roleClaim: string;
  /** Claim value → role, e.g. { 'sec-admins': 'admin' }. */
  roleMap: Readonly<Record<string, Role>>;
  /** Role of users no mapping matches; null refuses them. */
  defaultRole: Role | null;
}

export interface AuthOptions {
  /** First start without an admin: create this one (else admin@localhost with an invite link). */
  adminEmail?: string;
  adminPassword?: string;
  sessionTtlHours?: number;
  /** For invitation links and OIDC redirects (default http://localhost:<port>); its origin may open /sync sockets. */
  publicUrl?: string;
  /** Further browser origins that may open /sync sockets (ALLOWED_ORIGINS): auth/origin-policy.ts. */
  allowedOrigins?: readonly string[];
  /**
   * Behind reverse proxies: believe what they add to X-Forwarded-For/-Proto/-Host. A number is
   * how many proxies append (TRUST_PROXY_HOPS); `true` is one. Default: none, only the socket.
   */
  trustProxy?: boolean | number;
  oidc?: OidcConfig | null;
  rateLimit?: Partial<RateLimitOptions>;
  hashCost?: HashCost;
  /** Re-check open sockets' credentials this often (default 30 s). */
  socketRecheckMs?: number;
  /** Reuse a resolved credential this long in one process (default 5 s). */
  credentialCacheMs?: number;
}

/** Parse `sec-admins=admin,sec-leads=lead` into a map; null names the first bad pair. */
export function parseRoleMap(s: string, roles: readonly Role[]): { ok: true; value: Record<string, Role> } | { ok: false; error: string } {
  const out: Record<string, Role> = {};
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = pair.lastIndexOf('=');
    const key = pair.slice(0, i).trim();
    const role = pair.slice(i + 1).trim() as Role;
    if (i <= 0 || !key || !roles.includes(role)) return { ok: false, error: `"${pair}" is not claim=role with role one of ${roles.join(', ')}` };
    out[key] = role;
  }
  return { ok: true, value: out };
}

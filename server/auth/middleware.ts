/**
 * The auth middleware for /api/v1: resolves the Principal once per request (cookie or bearer
 * token) and refuses with 401 when there is none; a CSRF guard for cookie-authenticated writes
 * (JSON or no body, and a same-origin Origin when present); `requireAction` for routes, which
 * checks permission before anything is looked up, so a refusal never reveals what exists.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { DomainError } from '../../shared/errors.ts';
import { can, type Action, type Principal } from '../../shared/permissions.ts';
import { requestHost } from '../http/forwarded.ts';
import { credentialFrom, FAILURE_MESSAGES, SESSION_COOKIE, type Authenticated, type Authenticator, type AuthResult } from './authenticator.ts';

export interface AuthEnv {
  Variables: { auth: Authenticated };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Resolve the request's credential without refusing (the websocket upgrade decides itself). */
export function resolveRequest(c: Context, auth: Authenticator): Promise<AuthResult> {
  return auth.resolve(credentialFrom(c.req.header('authorization'), getCookie(c, SESSION_COOKIE)));
}

/**
 * Refuse cross-site writes made with the cookie (exported for routes that resolve on their own).
 * `proxyHops`: the trusted reverse proxies in front (http/forwarded.ts).
 */
export function checkCsrf(c: Context, proxyHops = 0): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  const type = c.req.header('content-type');
  const length = c.req.header('content-length');
  const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
  if ((hasBody || type) && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
    throw new DomainError('forbidden', 'cross-site request refused: a cookie-authenticated write must send Content-Type: application/json');
  }
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    const host = requestHost(c, proxyHops);
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (!host || originHost !== host) throw new DomainError('forbidden', `cross-site request refused: Origin ${origin} does not match this server`);
  }
}

export function authMiddleware(auth: Authenticator, proxyHops = 0): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (c.get('auth')) return next();
    const r = await resolveRequest(c, auth);
    if (!r.ok) throw new DomainError('unauthenticated', FAILURE_MESSAGES[r.reason], { reason: r.reason });
    if (r.credential.kind === 'session' && !c.req.header('authorization')) checkCsrf(c, proxyHops);
    c.set('auth', r);
    await next();
  };
}

export function principalOf(c: Context<AuthEnv>): Principal {
  return c.get('auth').principal;
}

/** Throw 403 unless the request's principal may do `action` (on `incidentId`). */
export function requireAction(c: Context<AuthEnv>, action: Action, incidentId?: string): Principal {
  const p = principalOf(c);
  if (!can(p, action, incidentId)) {
    const where = incidentId ? ` on incident ${incidentId}` : '';
    throw new DomainError('forbidden', `forbidden: your role (${p.role}) lacks ${action}${where}`, { action, incident_id: incidentId ?? null });
  }
  return p;
}

/**
 * Authentication for the evidence upload paths, mounted before the general auth middleware:
 * chunks are raw bytes (application/octet-stream) and small files multipart, which the general
 * CSRF guard (JSON only) refuses for cookie sessions. Here a cookie-authenticated write must be
 * JSON or octet-stream (neither can be sent cross-site without a CORS preflight) or multipart
 * with a same-origin Origin header (browsers send Origin on every cross-origin POST).
 */
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../shared/errors.ts';
import { FAILURE_MESSAGES, type Authenticator } from '../auth/authenticator.ts';
import { resolveRequest, type AuthEnv } from '../auth/middleware.ts';
import { requestHost } from '../http/forwarded.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function evidenceUploadAuth(auth: Authenticator, proxyHops = 0): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const r = await resolveRequest(c, auth);
    if (!r.ok) throw new DomainError('unauthenticated', FAILURE_MESSAGES[r.reason], { reason: r.reason });
    if (r.credential.kind === 'session' && !c.req.header('authorization') && !SAFE_METHODS.has(c.req.method)) {
      const type = (c.req.header('content-type') ?? '').toLowerCase();
      const origin = c.req.header('origin');
      const host = requestHost(c, proxyHops);
      if (origin !== undefined && !sameOrigin(origin, host))
        throw new DomainError('forbidden', `cross-site request refused: Origin ${origin} does not match this server`);
      const preflighted = /^application\/(json|octet-stream)\s*(;|$)/.test(type);
      const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
      if (!preflighted && (hasBody || type) && !(type.startsWith('multipart/form-data') && origin !== undefined)) {
        throw new DomainError(
          'forbidden',
          'cross-site request refused: send application/json, application/octet-stream, or multipart/form-data with an Origin header',
        );
      }
    }
    c.set('auth', r);
    await next();
  };
}

/**
 * Public and session routes under /api/v1/auth: config, login (argon2id, rate limited per
 * account and address pair with a global cap per account, rate-limit.ts; one generic message for
 * any wrong credential), logout, me, and
 * accepting an invitation (sets the password, logs in). Login and logout are audited,
 * failed logins included.
 */
import { Hono, type Context } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { acceptInviteRequest, loginRequest, type MeResponse } from '../../shared/auth-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { rejectInvalid } from '../http/validation.ts';
import { SYSTEM_ACTOR, type AuditActor } from '../audit/audit-types.ts';
import type { AuthDeps } from './auth-deps.ts';
import { clientAddress } from '../http/forwarded.ts';
import { authMiddleware, checkCsrf, resolveRequest, type AuthEnv } from './middleware.ts';
import { clearSessionCookie, setSessionCookie } from './session-cookie.ts';
import { createSession, grantsOf, revokeSession } from './credential-store.ts';
import { consumeInvite, toUser, userByEmail, userById, type UserRow } from './user-store.ts';

const BAD_CREDENTIALS = 'Wrong email or password.';

/** Body limit of /auth/* (an email and a password, an invitation token): refused before it is read further. */
export const AUTH_BODY_BYTES = 8 * 1024;

const userActor = (u: UserRow): AuditActor => ({ kind: 'user', id: u.id, name: u.display_name });

async function meFor(deps: AuthDeps, u: UserRow, expiresAt: Date): Promise<MeResponse> {
  return {
    user: toUser(u),
    session_expires_at: expiresAt.toISOString(),
    grants: u.role === 'guest' ? await grantsOf(deps.sql, u.id) : {},
    sso: deps.oidc !== null,
    sso_linked: u.oidc_subject !== null,
  };
}

/** Open a session for `u`, set the cookie, record the login; returns the me body. */
export async function logIn(c: Context, deps: AuthDeps, u: UserRow, how: string): Promise<MeResponse> {
  const address = clientAddress(c, deps.proxyHops);
  const s = await createSession(deps.sql, u.id, deps.sessionTtlMs, address);
  const [updated] = await deps.sql<UserRow[]>`UPDATE users SET last_login_at = now() WHERE id = ${u.id} RETURNING *`;
  await deps.audit.append([{ actor: userActor(u), action: 'auth.login', targetType: 'user', targetId: u.id, details: { how, address } }]);
  setSessionCookie(c, s.secret, s.maxExpiresAt, deps.proxyHops);
  return meFor(deps, updated ?? u, s.expiresAt);
}

export function createAuthRoutes(deps: AuthDeps): Hono {
  const { sql, hasher, limiter, audit } = deps;
  const app = new Hono();

  app.get('/auth/config', (c) => c.json({ sso: deps.oidc !== null, sso_label: deps.oidc?.label ?? null }));

  app.post('/auth/login', zValidator('json', loginRequest, rejectInvalid), async (c) => {
    const { email, password } = c.req.valid('json');
    const address = clientAddress(c, deps.proxyHops);
    const attempt = await limiter.begin(email, address);
    if (!attempt.allowed) {
      const wait = attempt.retryAfter;
      c.header('Retry-After', String(wait));
      throw new DomainError('rate_limited', `Too many failed logins; try again in ${wait} s.`, { retry_after: wait, limit: attempt.limit });
    }
    const u = await userByEmail(sql, email);
    const good = await hasher.verify(u?.password_hash ?? null, password);
    if (!u || !good || u.disabled) {
      // The attempt already counts as a failure (limiter.begin).
      await audit.append([
        {
          actor: u ? userActor(u) : { ...SYSTEM_ACTOR, name: 'anonymous' },
          action: 'auth.login_failed',
          targetType: 'user',
          targetId: u?.id ?? null,
          details: { email, address, reason: !u ? 'unknown email' : u.disabled && good ? 'disabled' : 'wrong password' },
        },
      ]);
      throw new DomainError('unauthenticated', BAD_CREDENTIALS);
    }
    await limiter.succeeded(email, address, attempt.id);
    return c.json(await logIn(c, deps, u, 'password'));
  });

  app.post('/auth/accept-invite', zValidator('json', acceptInviteRequest, rejectInvalid), async (c) => {
    const { token, password } = c.req.valid('json');
    const hash = await hasher.hash(password);
    const userId = await consumeInvite(sql, token);
    if (!userId) throw new DomainError('unauthenticated', 'This invitation link is invalid, used or expired; ask for a new one.');
    const [u] = await sql<UserRow[]>`
      UPDATE users SET password_hash = ${hash}, auth_kind = 'password' WHERE id = ${userId} AND NOT disabled RETURNING *`;
    if (!u) throw new DomainError('forbidden', 'This account is disabled.');
    await audit.append([{ actor: userActor(u), action: 'user.accept_invite', targetType: 'user', targetId: u.id, details: { email: u.email } }]);
    return c.json(await logIn(c, deps, u, 'invite'));
  });

  // These two resolve the session themselves: the /api/v1 middleware is mounted after them.
  const authed = new Hono<AuthEnv>();
  const mw = authMiddleware(deps.auth, deps.proxyHops);

  authed.get('/auth/me', mw, async (c) => {
    const a = c.get('auth');
    if (a.principal.kind !== 'user') throw new DomainError('forbidden', 'an API token has no user; /auth/me is for sessions');
    const u = await userById(sql, a.principal.id);
    if (!u) throw new DomainError('unauthenticated', 'Your session has expired; log in again.');
    return c.json(await meFor(deps, u, a.expiresAt ?? new Date()));
  });

  // Always 204 and a cleared cookie, even for a session that already expired (nothing to revoke).
  authed.post('/auth/logout', async (c) => {
    const a = await resolveRequest(c, deps.auth);
    if (a.ok && a.credential.kind === 'session' && !c.req.header('authorization')) {
      checkCsrf(c, deps.proxyHops);
      await revokeSession(sql, a.credentialId);
      await deps.auth.invalidate();
      await audit.append([
        { actor: { kind: 'user', id: a.principal.id, name: a.principal.name }, action: 'auth.logout', targetType: 'session', targetId: a.credentialId },
      ]);
    }
    clearSessionCookie(c, deps.proxyHops);
    return c.body(null, 204);
  });

  app.route('/', authed);
  return app;
}

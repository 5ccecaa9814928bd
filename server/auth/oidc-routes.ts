/**
 * The single sign-on routes: `GET /auth/oidc/start` redirects to the provider (setting the
 * signed flow cookie), `GET /auth/oidc/callback` finishes the flow, sets the session cookie and
 * redirects to /; `POST /auth/oidc/link` (signed in, password asked again) starts a flow that
 * links the provider's identity to the signed-in account instead. Failures redirect to
 * /login?sso_error=... with a readable reason.
 *
 * Who a login signs in as (`accountFor`): the account linked to the provider's subject; else, when
 * no account has the email, a new one with the mapped role (OIDC_ROLE_MAP, else OIDC_DEFAULT_ROLE)
 * whose role then follows the provider. A login never takes over an existing account by email,
 * verified or not, and never widens what an existing account may do: an email that belongs to an
 * account not linked yet is refused with how to link it (sign in, then link from the account
 * menu), so a guest invited by email stays a guest with its grants, and a password account keeps
 * its role. Why refuse rather than sign in as that account: an email match proves only that the
 * provider says so (an external guest's address may be claimed in a tenant it does not control);
 * linking while signed in, with the password, proves control of both sides. Roles the provider
 * sets apply only to accounts it created (`role_source = 'oidc'`, until an admin sets the role);
 * a guest stays a guest either way.
 */
import { Hono, type Context } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { oidcLinkRequest } from '../../shared/auth-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { SYSTEM_ACTOR, type AuditActor } from '../audit/audit-types.ts';
import { clientAddress, isHttps } from '../http/forwarded.ts';
import { rejectInvalid } from '../http/validation.ts';
import type { AuthDeps, OidcIdentity, OidcLink, OidcLogin } from './auth-deps.ts';
import { logIn } from './auth-routes.ts';
import { authMiddleware, type AuthEnv } from './middleware.ts';
import { OIDC_COOKIE, OIDC_FLOW_TTL_MS } from './oidc.ts';
import { insertUser, userById, type UserRow } from './user-store.ts';

const userActor = (u: UserRow): AuditActor => ({ kind: 'user', id: u.id, name: u.display_name });

/** Where an existing account with the provider's email has to link it first. */
function linkFirstMessage(email: string): string {
  return `an account for ${email} already exists and single sign-on is not linked to it: log in with your password, then choose "Link single sign-on" in your account menu`;
}

/** The account an OIDC login signs in as, or why it is refused. */
async function accountFor(deps: AuthDeps, id: OidcIdentity): Promise<UserRow | string> {
  if (!id.role) return 'your account is not mapped to a Sentpilot role';
  const mapped = id.role;
  return deps.sql.begin(async (tx): Promise<UserRow | string> => {
    const [u] = await tx<UserRow[]>`SELECT * FROM users WHERE oidc_subject = ${id.subject}`;
    if (u) {
      if (u.disabled) return 'this account is disabled';
      // The provider's role only for accounts it manages; a guest stays a guest.
      if (u.role_source !== 'oidc' || u.role === 'guest' || u.role === mapped) return u;
      const [updated] = await tx<UserRow[]>`UPDATE users SET role = ${mapped} WHERE id = ${u.id} RETURNING *`;
      await deps.audit.append(
        [{ actor: SYSTEM_ACTOR, action: 'user.update', targetType: 'user', targetId: u.id, details: { role: { from: u.role, to: mapped }, via: 'oidc' } }],
        tx,
      );
      return updated ?? u;
    }
    if (!id.email) return 'the provider did not share an email address';
    const [existing] = await tx<UserRow[]>`SELECT * FROM users WHERE lower(email) = ${id.email}`;
    if (existing) return existing.oidc_subject ? `a user with email ${id.email} is linked to another sign-in` : linkFirstMessage(id.email);
    const created = await insertUser(tx, {
      email: id.email,
      displayName: id.name ?? id.email,
      role: mapped,
      passwordHash: null,
      authKind: 'oidc',
      oidcSubject: id.subject,
      roleSource: 'oidc',
    });
    if (!created) return `a user with email ${id.email} was created meanwhile; try again`;
    await deps.audit.append(
      [{ actor: SYSTEM_ACTOR, action: 'user.create', targetType: 'user', targetId: created.id, details: { email: id.email, role: mapped, via: 'oidc' } }],
      tx,
    );
    return created;
  });
}

/** Link the provider's identity to the account that asked (its role and grants unchanged), or why not. */
async function linkAccount(deps: AuthDeps, id: OidcIdentity, link: OidcLink): Promise<UserRow | string> {
  if (!id.role) return 'your account is not mapped to a Sentpilot role';
  return deps.sql.begin(async (tx): Promise<UserRow | string> => {
    const [u] = await tx<UserRow[]>`
      SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ${link.sessionId} AND u.id = ${link.userId} AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled
      FOR UPDATE OF u`;
    if (!u) return 'your session ended before single sign-on was linked; log in and try again';
    const [holder] = await tx<UserRow[]>`SELECT * FROM users WHERE oidc_subject = ${id.subject}`;
    if (holder && holder.id !== u.id) return 'this single sign-on identity is already linked to another account';
    if (holder) return u;
    if (u.oidc_subject) return 'your account is already linked to another single sign-on identity';
    const [linked] = await tx<UserRow[]>`UPDATE users SET oidc_subject = ${id.subject}, oidc_linked_at = now() WHERE id = ${u.id} RETURNING *`;
    await deps.audit.append(
      [{ actor: userActor(u), action: 'user.link_oidc', targetType: 'user', targetId: u.id, details: { subject: id.subject, email: id.email } }],
      tx,
    );
    return linked ?? u;
  });
}

export function createOidcRoutes(deps: AuthDeps, oidc: OidcLogin): Hono {
  const app = new Hono();
  const setFlowCookie = (c: Context, value: string) =>
    setCookie(c, OIDC_COOKIE, value, {
      httpOnly: true,
      // Lax: the provider's redirect back is a cross-site navigation.
      sameSite: 'Lax',
      path: '/api/v1/auth/oidc',
      secure: isHttps(c, deps.proxyHops),
      maxAge: Math.floor(OIDC_FLOW_TTL_MS / 1000),
    });
  const fail = (c: Context, reason: string) => {
    deps.logger.warn({ reason }, 'single sign-on refused');
    return c.redirect(`/login?sso_error=${encodeURIComponent(reason)}`, 302);
  };

  app.get('/auth/oidc/start', async (c) => {
    let started: { url: string; cookie: string };
    try {
      started = await oidc.start();
    } catch (e) {
      deps.logger.error({ err: e }, 'could not reach the OIDC provider');
      return fail(c, 'the sign-in provider is not reachable');
    }
    setFlowCookie(c, started.cookie);
    return c.redirect(started.url, 302);
  });

  app.get('/auth/oidc/callback', async (c) => {
    const cookie = getCookie(c, OIDC_COOKIE) ?? '';
    deleteCookie(c, OIDC_COOKIE, { path: '/api/v1/auth/oidc' });
    let identity: OidcIdentity;
    try {
      identity = await oidc.finish(new URL(c.req.url), cookie);
    } catch (e) {
      deps.logger.warn({ err: e }, 'OIDC callback failed');
      return fail(c, e instanceof Error ? e.message : 'sign-in failed');
    }
    if (identity.link) {
      const linked = await linkAccount(deps, identity, identity.link);
      if (typeof linked === 'string') {
        await deps.audit.append([
          {
            actor: { ...SYSTEM_ACTOR, name: 'anonymous' },
            action: 'user.link_oidc_failed',
            targetType: 'user',
            targetId: identity.link.userId,
            details: { subject: identity.subject, reason: linked },
          },
        ]);
        return fail(c, linked);
      }
      // The account's own session goes on; no new one is opened.
      return c.redirect('/?sso_linked=1', 302);
    }
    const u = await accountFor(deps, identity);
    if (typeof u === 'string') {
      await deps.audit.append([
        {
          actor: { ...SYSTEM_ACTOR, name: 'anonymous' },
          action: 'auth.login_failed',
          targetType: 'user',
          details: { via: 'oidc', subject: identity.subject, reason: u },
        },
      ]);
      return fail(c, u);
    }
    await logIn(c, deps, u, 'oidc');
    return c.redirect('/', 302);
  });

  // Linking is explicit: the signed-in user asks, with the password, from a page of the app.
  const authed = new Hono<AuthEnv>();
  authed.post('/auth/oidc/link', authMiddleware(deps.auth, deps.proxyHops), zValidator('json', oidcLinkRequest, rejectInvalid), async (c) => {
    const a = c.get('auth');
    if (a.principal.kind !== 'user' || a.credential.kind !== 'session' || c.req.header('authorization')) {
      throw new DomainError('forbidden', 'single sign-on is linked by a signed-in user from the app, not with an API token');
    }
    const u = await userById(deps.sql, a.principal.id);
    if (!u) throw new DomainError('unauthenticated', 'Your session has expired; log in again.');
    if (u.oidc_subject) throw new DomainError('conflict', 'single sign-on is already linked to your account');
    const address = clientAddress(c, deps.proxyHops);
    const attempt = await deps.limiter.begin(u.email, address);
    if (!attempt.allowed) {
      c.header('Retry-After', String(attempt.retryAfter));
      throw new DomainError('rate_limited', `Too many failed attempts; try again in ${attempt.retryAfter} s.`, {
        retry_after: attempt.retryAfter,
        limit: attempt.limit,
      });
    }
    if (!(await deps.hasher.verify(u.password_hash, c.req.valid('json').password))) {
      await deps.audit.append([
        { actor: userActor(u), action: 'user.link_oidc_failed', targetType: 'user', targetId: u.id, details: { reason: 'wrong password' } },
      ]);
      throw new DomainError('unauthenticated', 'Wrong password.');
    }
    await deps.limiter.succeeded(u.email, address, attempt.id);
    let started: { url: string; cookie: string };
    try {
      started = await oidc.start({ userId: u.id, sessionId: a.credentialId });
    } catch (e) {
      deps.logger.error({ err: e }, 'could not reach the OIDC provider');
      throw new DomainError('unavailable', 'the sign-in provider is not reachable; try again later');
    }
    setFlowCookie(c, started.cookie);
    return c.json({ url: started.url });
  });
  app.route('/', authed);

  return app;
}

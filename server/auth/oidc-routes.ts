/**
 * The single sign-on routes: `GET /auth/oidc/start` redirects to the provider (setting the
 * signed flow cookie), `GET /auth/oidc/callback` finishes the flow, creates or updates the user
 * (by subject, else by email) with the mapped role, sets the session cookie and redirects to /.
 * Failures redirect to /login?sso_error=... with a readable reason.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SYSTEM_ACTOR } from '../audit/audit-types.ts';
import type { AuthDeps, OidcIdentity, OidcLogin } from './auth-deps.ts';
import { logIn } from './auth-routes.ts';
import { isHttps } from '../http/forwarded.ts';
import { OIDC_COOKIE, OIDC_FLOW_TTL_MS } from './oidc.ts';
import { insertUser, type UserRow } from './user-store.ts';

async function upsertUser(deps: AuthDeps, id: OidcIdentity): Promise<UserRow | string> {
  if (!id.role) return 'your account is not mapped to a Sentpilot role';
  const role = id.role;
  return deps.sql.begin(async (tx): Promise<UserRow | string> => {
    let [u] = await tx<UserRow[]>`SELECT * FROM users WHERE oidc_subject = ${id.subject}`;
    // Linking an existing account by email only when the provider verified that email: otherwise
    // anyone able to type the admin's address into their IdP profile would sign in as the admin.
    if (!u && id.email && id.emailVerified) [u] = await tx<UserRow[]>`SELECT * FROM users WHERE lower(email) = ${id.email} AND oidc_subject IS NULL`;
    if (u) {
      if (u.disabled) return 'this account is disabled';
      const [updated] = await tx<UserRow[]>`
        UPDATE users SET oidc_subject = ${id.subject}, role = ${role},
          auth_kind = CASE WHEN password_hash IS NULL THEN 'oidc' ELSE auth_kind END
        WHERE id = ${u.id} RETURNING *`;
      if (updated && updated.role !== u.role) {
        await deps.audit.append([{ actor: SYSTEM_ACTOR, action: 'user.update', targetType: 'user', targetId: u.id, details: { role: { from: u.role, to: role }, via: 'oidc' } }], tx);
      }
      return updated ?? u;
    }
    if (!id.email) return 'the provider did not share an email address';
    const created = await insertUser(tx, { email: id.email, displayName: id.name ?? id.email, role, passwordHash: null, authKind: 'oidc', oidcSubject: id.subject });
    if (!created) return `a user with email ${id.email} is linked to another sign-in`;
    await deps.audit.append([{ actor: SYSTEM_ACTOR, action: 'user.create', targetType: 'user', targetId: created.id, details: { email: id.email, role, via: 'oidc' } }], tx);
    return created;
  });
}

export function createOidcRoutes(deps: AuthDeps, oidc: OidcLogin): Hono {
  const app = new Hono();
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
    setCookie(c, OIDC_COOKIE, started.cookie, {
      httpOnly: true,
      // Lax: the provider's redirect back is a cross-site navigation.
      sameSite: 'Lax',
      path: '/api/v1/auth/oidc',
      secure: isHttps(c, deps.proxyHops),
      maxAge: Math.floor(OIDC_FLOW_TTL_MS / 1000),
    });
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
    const u = await upsertUser(deps, identity);
    if (typeof u === 'string') {
      await deps.audit.append([{ actor: { ...SYSTEM_ACTOR, name: 'anonymous' }, action: 'auth.login_failed', targetType: 'user', details: { via: 'oidc', subject: identity.subject, reason: u } }]);
      return fail(c, u);
    }
    await logIn(c, deps, u, 'oidc');
    return c.redirect('/', 302);
  });

  return app;
}

// @vitest-environment node
/**
 * Single sign-on against the loopback OIDC provider: code flow with PKCE, state and nonce; the
 * user is created with the role its groups map to (or the default role), updated on the next
 * login until an admin sets it, refused when nothing maps and the default role is `none`; a
 * forged or missing flow cookie is refused. A login never takes over or widens an existing
 * account: an email that belongs to an unlinked account (a guest, a password user) is refused
 * until the signed-in user links single sign-on explicitly (password asked again); then it signs
 * in as that account with exactly its access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meResponse, oidcLinkResponse } from '../../shared/auth-api.ts';
import { startOidcProvider, type OidcTestProvider } from '../testing/oidc-provider.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { mapRole } from './oidc.ts';

let idp: OidcTestProvider;
let ts: TestServer;

beforeAll(async () => {
  idp = await startOidcProvider();
  ts = await startTestServer({
    auth: {
      oidc: {
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        roleClaim: 'groups',
        roleMap: { 'sec-admins': 'admin', 'sec-leads': 'lead', soc: 'analyst' },
        defaultRole: null,
      },
    },
  });
});
afterAll(async () => {
  await ts.stop();
  await idp.close();
});

const cookie = (r: Response, name: string): string =>
  r.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0] ?? '';

/** The browser at the provider and back: the callback's response. */
async function finishAt(server: TestServer, providerUrl: string, flow: string): Promise<Response> {
  const authorize = await fetch(providerUrl, { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const back = new URL(authorize.headers.get('location') ?? '');
  return fetch(`${server.server.url}${back.pathname}${back.search}`, { redirect: 'manual', headers: { cookie: flow } });
}

/** Drive the browser's part of the flow; returns the callback's response. */
async function signIn(opts: { flowCookie?: (c: string) => string; server?: TestServer } = {}): Promise<Response> {
  const server = opts.server ?? ts;
  const start = await fetch(`${server.server.url}/api/v1/auth/oidc/start`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const flow = cookie(start, 'sp_oidc');
  return finishAt(server, start.headers.get('location') ?? '', opts.flowCookie ? opts.flowCookie(flow) : flow);
}

async function me(r: Response, server: TestServer = ts) {
  const session = cookie(r, 'sp_session');
  const m = await fetch(`${server.server.url}/api/v1/auth/me`, { headers: { cookie: session } });
  return meResponse.parse(await m.json());
}

const ssoError = (r: Response): string => decodeURIComponent(/^\/login\?sso_error=(.*)$/.exec(r.headers.get('location') ?? '')?.[1] ?? '');

/** Log in with a password as a browser would; the session cookie. */
async function passwordLogin(email: string, password: string): Promise<string> {
  const r = await fetch(`${ts.server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(r.status).toBe(200);
  return cookie(r, 'sp_session');
}

/** The signed-in user links single sign-on: POST /auth/oidc/link, then the provider and back. */
async function link(session: string, password: string): Promise<Response> {
  const r = await fetch(`${ts.server.url}/api/v1/auth/oidc/link`, {
    method: 'POST',
    headers: { cookie: session, 'content-type': 'application/json', origin: ts.server.url },
    body: JSON.stringify({ password }),
  });
  if (r.status !== 200) return r;
  const { url } = oidcLinkResponse.parse(await r.json());
  return finishAt(ts, url, cookie(r, 'sp_oidc'));
}

async function userRow(email: string) {
  const [u] = await ts.server.sql<{ id: string; role: string; oidc_subject: string | null; role_source: string }[]>`
    SELECT id, role, oidc_subject, role_source FROM users WHERE email = ${email}`;
  return u;
}

describe('OIDC single sign-on', () => {
  it('says SSO is configured', async () => {
    expect(await (await fetch(`${ts.server.url}/api/v1/auth/config`)).json()).toEqual({ sso: true, sso_label: new URL(idp.issuer).host });
  });

  it('logs in through the provider with PKCE, mapping groups to a role; the next login updates it', async () => {
    idp.setUser({ sub: 'alice-1', email: 'Alice@Corp.example', name: 'Alice', claims: { groups: ['soc', 'staff'] } });
    const r = await signIn();
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/');
    const m = await me(r);
    expect(m.user).toMatchObject({ email: 'alice@corp.example', display_name: 'Alice', role: 'analyst', auth: 'oidc' });

    idp.setUser({ sub: 'alice-1', email: 'alice@corp.example', name: 'Alice', claims: { groups: ['soc', 'sec-leads'] } });
    const again = await me(await signIn());
    expect(again.user.role).toBe('lead');
    expect(again.user.id).toBe(m.user.id);
  });

  it('refuses a user no group maps when the default role is none', async () => {
    idp.setUser({ sub: 'bob-1', email: 'bob@corp.example', name: 'Bob', claims: { groups: ['marketing'] } });
    const r = await signIn();
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toMatch(/^\/login\?sso_error=/);
    expect(cookie(r, 'sp_session')).toBe('');
    const [u] = await ts.server.sql`SELECT 1 FROM users WHERE email = 'bob@corp.example'`;
    expect(u).toBeUndefined();
  });

  it('ID7: keeps following the provider’s role for a user it created, until an admin sets the role', async () => {
    idp.setUser({ sub: 'erin-1', email: 'erin@corp.example', name: 'Erin', claims: { groups: ['soc'] } });
    const first = await me(await signIn());
    expect(first.user.role).toBe('analyst');
    expect((await ts.fetch(`/api/v1/users/${first.user.id}`, { method: 'PATCH', json: { role: 'viewer' } })).status).toBe(200);
    idp.setUser({ sub: 'erin-1', email: 'erin@corp.example', name: 'Erin', claims: { groups: ['sec-admins'] } });
    const again = await me(await signIn());
    expect(again.user).toMatchObject({ id: first.user.id, role: 'viewer' });
  });

  it('ID7: refuses a login whose email belongs to an existing unlinked account, verified or not, and changes nothing', async () => {
    const created = await ts.fetch('/api/v1/users', {
      method: 'POST',
      as: ts.admin,
      json: { email: 'dana@corp.example', display_name: 'Dana', role: 'analyst', password: 'dana password 123' },
    });
    expect(created.status).toBe(201);
    for (const verified of [false, true]) {
      idp.setUser({ sub: `dana-${verified}`, email: 'dana@corp.example', name: 'Dana', claims: { groups: ['sec-admins'], email_verified: verified } });
      const r = await signIn();
      expect(cookie(r, 'sp_session')).toBe('');
      expect(ssoError(r)).toContain('already exists');
      expect(ssoError(r)).toContain('Link single sign-on');
    }
    expect(await userRow('dana@corp.example')).toMatchObject({ oidc_subject: null, role: 'analyst' });
  });

  it('ID7: keeps a guest a guest: its OIDC login is refused until it links; then it signs in with only its grants', async () => {
    const incident = async (title: string): Promise<string> => {
      const r = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title } });
      expect(r.status).toBe(201);
      return ((await r.json()) as { id: string }).id;
    };
    const granted = await incident('Shared with counsel');
    const other = await incident('Not shared');
    const made = await ts.fetch('/api/v1/users', {
      method: 'POST',
      json: { email: 'counsel@lawfirm.example', display_name: 'Outside counsel', role: 'guest', password: 'counsel password 1' },
    });
    expect(made.status).toBe(201);
    const invited = await ts.fetch(`/api/v1/incidents/${granted}/guests`, {
      method: 'POST',
      json: { email: 'counsel@lawfirm.example', display_name: 'Outside counsel', access: 'read' },
    });
    expect(invited.status).toBe(201);

    // The probe: the same verified email through SSO, with groups that map to analyst.
    idp.setUser({ sub: 'counsel-1', email: 'counsel@lawfirm.example', name: 'Counsel', claims: { groups: ['soc'], email_verified: true } });
    const refused = await signIn();
    expect(cookie(refused, 'sp_session')).toBe('');
    expect(ssoError(refused)).toContain('already exists');
    expect(await userRow('counsel@lawfirm.example')).toMatchObject({ role: 'guest', oidc_subject: null });

    // Linking is explicit: signed in, password again. A wrong password links nothing.
    const session = await passwordLogin('counsel@lawfirm.example', 'counsel password 1');
    expect((await link(session, 'not the password')).status).toBe(401);
    const linked = await link(session, 'counsel password 1');
    expect(linked.status).toBe(302);
    expect(linked.headers.get('location')).toBe('/?sso_linked=1');
    expect(await userRow('counsel@lawfirm.example')).toMatchObject({ role: 'guest', oidc_subject: expect.stringContaining('counsel-1') });

    const viaSso = await signIn();
    const m = await me(viaSso);
    expect(m.user).toMatchObject({ email: 'counsel@lawfirm.example', role: 'guest' });
    expect(m.sso_linked).toBe(true);
    expect(m.grants).toEqual({ [granted]: { access: 'read', evidence: false } });
    const headers = { cookie: cookie(viaSso, 'sp_session') };
    expect((await fetch(`${ts.server.url}/api/v1/incidents/${granted}`, { headers })).status).toBe(200);
    expect((await fetch(`${ts.server.url}/api/v1/incidents/${other}`, { headers })).status).toBe(403);
    const list = (await (await fetch(`${ts.server.url}/api/v1/incidents`, { headers })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([granted]);
  });

  it('ID7: refuses to link an identity already linked to another account, and a link from an API token', async () => {
    const made = await ts.fetch('/api/v1/users', {
      method: 'POST',
      json: { email: 'frank@corp.example', display_name: 'Frank', role: 'viewer', password: 'frank password 12' },
    });
    expect(made.status).toBe(201);
    idp.setUser({ sub: 'alice-1', email: 'alice@corp.example', name: 'Alice', claims: { groups: ['soc'] } });
    const r = await link(await passwordLogin('frank@corp.example', 'frank password 12'), 'frank password 12');
    expect(ssoError(r)).toContain('already linked to another account');
    expect(await userRow('frank@corp.example')).toMatchObject({ oidc_subject: null, role: 'viewer' });
    const token = await ts.token('admin');
    const viaToken = await ts.fetch('/api/v1/auth/oidc/link', { as: token, method: 'POST', json: { password: 'x' } });
    expect(viaToken.status).toBe(403);
  });

  it('gives a new user the configured default role when no group maps', async () => {
    const withDefault = await startTestServer({
      db: ts.db,
      auth: {
        oidc: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecret: idp.clientSecret,
          roleClaim: 'groups',
          roleMap: { soc: 'analyst' },
          defaultRole: 'viewer',
        },
      },
    });
    try {
      idp.setUser({ sub: 'gina-1', email: 'gina@corp.example', name: 'Gina', claims: { groups: ['marketing'] } });
      const m = await me(await signIn({ server: withDefault }), withDefault);
      expect(m.user).toMatchObject({ email: 'gina@corp.example', role: 'viewer', auth: 'oidc' });
    } finally {
      await withDefault.stop();
    }
  });

  it('refuses a callback whose flow cookie is missing or forged', async () => {
    idp.setUser({ sub: 'carol-1', email: 'carol@corp.example', name: 'Carol', claims: { groups: ['soc'] } });
    const missing = await signIn({ flowCookie: () => '' });
    expect(missing.headers.get('location')).toMatch(/^\/login\?sso_error=/);
    const forged = await signIn({ flowCookie: (c) => `${c.slice(0, -3)}abc` });
    expect(forged.headers.get('location')).toMatch(/^\/login\?sso_error=/);
    expect(cookie(forged, 'sp_session')).toBe('');
  });

  it('maps claims: the most privileged match wins, strings and lists, default role', () => {
    const cfg = { roleMap: { a: 'admin', s: 'analyst' } as const, defaultRole: 'viewer' as const };
    expect(mapRole(['s', 'a'], cfg)).toBe('admin');
    expect(mapRole('s', cfg)).toBe('analyst');
    expect(mapRole(undefined, cfg)).toBe('viewer');
    expect(mapRole(['x'], { ...cfg, defaultRole: null })).toBeNull();
  });
});

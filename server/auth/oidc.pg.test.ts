// @vitest-environment node
/**
 * Single sign-on against the loopback OIDC provider: code flow with PKCE, state and nonce; the
 * user is created with the role its groups map to, updated on the next login, refused when
 * nothing maps and the default role is `none`; a forged or missing flow cookie is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meResponse } from '../../shared/auth-api.ts';
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

const cookie = (r: Response, name: string): string => r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';

/** Drive the browser's part of the flow; returns the callback's response. */
async function signIn(opts: { flowCookie?: (c: string) => string } = {}): Promise<Response> {
  const start = await fetch(`${ts.server.url}/api/v1/auth/oidc/start`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const flow = cookie(start, 'sp_oidc');
  const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
  expect(authorize.status).toBe(302);
  const back = new URL(authorize.headers.get('location') ?? '');
  const callback = `${ts.server.url}${back.pathname}${back.search}`;
  return fetch(callback, { redirect: 'manual', headers: { cookie: opts.flowCookie ? opts.flowCookie(flow) : flow } });
}

async function me(r: Response) {
  const session = cookie(r, 'sp_session');
  const m = await fetch(`${ts.server.url}/api/v1/auth/me`, { headers: { cookie: session } });
  return meResponse.parse(await m.json());
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

  it('links an existing account by email only when the provider verified the email', async () => {
    const created = await ts.fetch('/api/v1/users', { method: 'POST', as: ts.admin, json: { email: 'dana@corp.example', display_name: 'Dana', role: 'admin', password: 'dana password 123' } });
    expect(created.status).toBe(201);
    idp.setUser({ sub: 'mallory-1', email: 'dana@corp.example', name: 'Mallory', claims: { groups: ['soc'] } });
    const unverified = await signIn();
    expect(cookie(unverified, 'sp_session')).toBe('');
    expect(unverified.headers.get('location')).toMatch(/^\/login\?sso_error=/);
    const [still] = await ts.server.sql<{ oidc_subject: string | null; role: string }[]>`SELECT oidc_subject, role FROM users WHERE email = 'dana@corp.example'`;
    expect(still).toEqual({ oidc_subject: null, role: 'admin' });

    idp.setUser({ sub: 'dana-1', email: 'dana@corp.example', name: 'Dana', claims: { groups: ['sec-admins'], email_verified: true } });
    const verified = await signIn();
    const m = await me(verified);
    expect(m.user).toMatchObject({ email: 'dana@corp.example', role: 'admin' });
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

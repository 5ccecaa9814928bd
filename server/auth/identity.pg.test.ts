// @vitest-environment node
/**
 * Identity against a real server: argon2id password hashes, login/me/logout with the session
 * cookie's attributes, the login rate limit per account and address pair, per account and per
 * address (across two server processes), the client address behind trusted proxies, API tokens stored only hashed and usable as Bearer, invitations, disabling,
 * first-start admin creation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenResponse, createUserResponse, meResponse } from '../../shared/auth-api.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let db: TestDatabase;
let ts: TestServer;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  db = await createTestDatabase();
  ts = await startTestServer({ db, auth: { rateLimit: { perAccount: 20, perAddress: 6, windowMs: 60_000 }, trustProxy: true } });
});
afterAll(async () => {
  await ts.stop();
  await db.drop();
});

async function createUser(email: string, role = 'analyst', password: string | null = PASSWORD) {
  const r = await ts.fetch('/api/v1/users', { method: 'POST', json: { email, display_name: email.split('@')[0], role, ...(password ? { password } : {}) } });
  expect(r.status).toBe(201);
  return createUserResponse.parse(await r.json());
}

function login(email: string, password: string, address = '10.0.0.1') {
  return ts.fetch('/api/v1/auth/login', { as: null, method: 'POST', headers: { 'x-forwarded-for': address }, json: { email, password } });
}

const cookieOf = (r: Response): string => (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

describe('passwords and sessions', () => {
  it('ID3: stores argon2id hashes that verify, logs in with an HttpOnly SameSite=Strict cookie, me, logout', async () => {
    const { user } = await createUser('Carol@Example.com');
    const [row] = await db.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${user.id}`;
    expect(row?.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(await ts.server.identity.hasher.verify(row?.password_hash ?? null, PASSWORD)).toBe(true);
    expect(await ts.server.identity.hasher.verify(row?.password_hash ?? null, 'wrong password here')).toBe(false);

    const r = await login('carol@example.com', PASSWORD);
    expect(r.status).toBe(200);
    const setCookie = r.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sp_session=/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    const me = meResponse.parse(await r.json());
    expect(me.user.email).toBe('carol@example.com');
    const cookie = cookieOf(r);
    // The session token is stored only hashed.
    const secret = cookie.slice('sp_session='.length);
    const dump = JSON.stringify(await db.sql`SELECT * FROM sessions`);
    expect(dump).not.toContain(secret);

    const who = { user: me.user as never, headers: { cookie }, secret, credentialId: '' };
    expect((await ts.fetch('/api/v1/auth/me', { as: who })).status).toBe(200);
    expect((await ts.fetch('/api/v1/auth/logout', { as: who, method: 'POST' })).status).toBe(204);
    const after = await ts.fetch('/api/v1/auth/me', { as: who });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toBe('Your session has expired; log in again.');
    // Logging out again (an expired or revoked session) still answers 204 and clears the cookie.
    const again = await ts.fetch('/api/v1/auth/logout', { as: who, method: 'POST' });
    expect(again.status).toBe(204);
    expect(again.headers.get('set-cookie')).toMatch(/^sp_session=;/);
  });

  it('ID6: sets Secure behind a trusted proxy that says https', async () => {
    await createUser('secure@example.com');
    const r = await ts.fetch('/api/v1/auth/login', {
      as: null,
      method: 'POST',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.9.9.9' },
      json: { email: 'secure@example.com', password: PASSWORD },
    });
    expect(r.headers.get('set-cookie')).toContain('Secure');
  });

  it('answers one generic message for an unknown email and a wrong password', async () => {
    await createUser('dave@example.com');
    const a = await login('nobody@example.com', 'whatever it is', '10.1.1.1');
    const b = await login('dave@example.com', 'not his password', '10.1.1.2');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(await a.json()).toEqual(await b.json());
  });

  it('ID5: an attacker failing at one address does not lock the owner out at another, across server processes', async () => {
    await createUser('erin@example.com');
    const other = await startTestServer({ db, auth: { rateLimit: { perAccount: 20, perAddress: 6, windowMs: 60_000 }, trustProxy: true } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const s = i % 2 === 0 ? ts : other;
        const r = await s.fetch('/api/v1/auth/login', {
          as: null,
          method: 'POST',
          headers: { 'x-forwarded-for': '10.2.0.1' },
          json: { email: 'erin@example.com', password: 'wrong password!' },
        });
        statuses.push(r.status);
      }
      // Three free failures, then the pair waits (on either process), with Retry-After.
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      const waiting = await other.fetch('/api/v1/auth/login', {
        as: null,
        method: 'POST',
        headers: { 'x-forwarded-for': '10.2.0.1' },
        json: { email: 'erin@example.com', password: PASSWORD },
      });
      expect(waiting.status).toBe(429);
      expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThan(0);
      // The owner, elsewhere, logs in at once.
      expect(
        (
          await other.fetch('/api/v1/auth/login', {
            as: null,
            method: 'POST',
            headers: { 'x-forwarded-for': '10.2.1.1' },
            json: { email: 'erin@example.com', password: PASSWORD },
          })
        ).status,
      ).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it('ID5: caps failures per account across all addresses', async () => {
    const capped = await startTestServer({ db, auth: { rateLimit: { perAccount: 4, perAddress: 100, windowMs: 60_000 }, trustProxy: true } });
    try {
      await createUser('ivan@example.com');
      for (let i = 0; i < 4; i++) {
        const r = await capped.fetch('/api/v1/auth/login', {
          as: null,
          method: 'POST',
          headers: { 'x-forwarded-for': `10.5.0.${i}` },
          json: { email: 'ivan@example.com', password: 'wrong password!' },
        });
        expect(r.status).toBe(401);
      }
      const locked = await capped.fetch('/api/v1/auth/login', {
        as: null,
        method: 'POST',
        headers: { 'x-forwarded-for': '10.5.1.1' },
        json: { email: 'ivan@example.com', password: PASSWORD },
      });
      expect(locked.status).toBe(429);
      expect(((await locked.json()) as { error: { details: { limit: string } } }).error.details.limit).toBe('account');
    } finally {
      await capped.stop();
    }
  });

  it('ID5: slows an address failing across accounts, without blocking other addresses', async () => {
    for (let i = 0; i < 6; i++) expect((await login(`x${i}@example.com`, 'wrong password!', '10.3.3.3')).status).toBe(401);
    await createUser('frank@example.com');
    const slowed = await login('frank@example.com', PASSWORD, '10.3.3.3');
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect((await login('frank@example.com', PASSWORD, '10.3.3.4')).status).toBe(200);
  });

  it('ID5, ID6: counts the address the trusted proxy saw, not what the client wrote before it', async () => {
    await createUser('judy@example.com');
    // Each guess claims another address at the left of X-Forwarded-For: all count as 10.6.6.6.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await login('judy@example.com', 'wrong password!', `192.0.2.${i}, 10.6.6.6`);
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const ok = await login('judy@example.com', PASSWORD, '198.51.100.1, 10.6.6.7');
    expect(ok.status).toBe(200);
    const [session] = await db.sql<{ address: string }[]>`
      SELECT s.address FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'judy@example.com' ORDER BY s.created_at DESC LIMIT 1`;
    expect(session?.address).toBe('10.6.6.7');
    // Two proxies: the address the outer one saw is the second from the end.
    const twoHops = await startTestServer({ db, auth: { trustProxy: 2 } });
    try {
      const r = await twoHops.fetch('/api/v1/auth/login', {
        as: null,
        method: 'POST',
        headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.77, 10.0.0.9' },
        json: { email: 'judy@example.com', password: PASSWORD },
      });
      expect(r.status).toBe(200);
      const [s2] = await db.sql<{ address: string }[]>`
        SELECT s.address FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'judy@example.com' ORDER BY s.created_at DESC LIMIT 1`;
      expect(s2?.address).toBe('198.51.100.77');
    } finally {
      await twoHops.stop();
    }
  });

  it('invites a user with a one-time link that sets the password and logs in', async () => {
    const created = await createUser('grace@example.com', 'lead', null);
    expect(created.user.auth).toBe('invited');
    const token = decodeURIComponent(new URL(created.invite_url ?? '').hash.replace('#token=', ''));
    const r = await ts.fetch('/api/v1/auth/accept-invite', { as: null, method: 'POST', json: { token, password: PASSWORD } });
    expect(r.status).toBe(200);
    expect(meResponse.parse(await r.json()).user.role).toBe('lead');
    const again = await ts.fetch('/api/v1/auth/accept-invite', { as: null, method: 'POST', json: { token, password: PASSWORD } });
    expect(again.status).toBe(401);
    expect((await login('grace@example.com', PASSWORD, '10.4.4.4')).status).toBe(200);
  });

  it('ID4: disabling a user revokes their sessions; tokens they created keep working', async () => {
    const admin2 = await ts.as('admin');
    const t = createTokenResponse.parse(
      await (await ts.fetch('/api/v1/tokens', { as: admin2, method: 'POST', json: { name: 'made by admin2', role: 'viewer' } })).json(),
    );
    const patch = await ts.fetch(`/api/v1/users/${admin2.user.id}`, { method: 'PATCH', json: { disabled: true } });
    expect(patch.status).toBe(200);
    expect((await ts.fetch('/api/v1/auth/me', { as: admin2 })).status).toBe(401);
    const [s] = await db.sql<{ revoked_at: Date | null }[]>`SELECT revoked_at FROM sessions WHERE id = ${admin2.credentialId}`;
    expect(s?.revoked_at).not.toBeNull();
    const bearer = { user: admin2.user, headers: { authorization: `Bearer ${t.secret}` }, secret: t.secret, credentialId: t.token.id };
    expect((await ts.fetch('/api/v1/incidents', { as: bearer })).status).toBe(200);
  });
});

describe('revocation across processes', () => {
  it('ID4: a credential another process has cached stops working as soon as it is revoked here', async () => {
    const other = await startTestServer({ db, auth: { credentialCacheMs: 60_000 } });
    try {
      const analyst = await ts.as('analyst');
      const token = await ts.token('viewer');
      expect((await other.fetch('/api/v1/incidents', { as: analyst })).status).toBe(200);
      expect((await other.fetch('/api/v1/incidents', { as: token })).status).toBe(200);
      expect((await ts.fetch(`/api/v1/users/${analyst.user.id}/revoke-sessions`, { method: 'POST' })).status).toBe(200);
      expect((await ts.fetch(`/api/v1/tokens/${token.credentialId}`, { method: 'DELETE' })).status).toBe(204);
      const { waitFor } = await import('../testing/wait-for.ts');
      await waitFor(async () => (await other.fetch('/api/v1/incidents', { as: analyst })).status === 401, {
        message: 'session refused by the other process',
        timeoutMs: 2_000,
      });
      await waitFor(async () => (await other.fetch('/api/v1/incidents', { as: token })).status === 401, {
        message: 'token refused by the other process',
        timeoutMs: 2_000,
      });
    } finally {
      await other.stop();
    }
  });
});

describe('API tokens', () => {
  it('ID3: shows the secret once, stores only its hash, works as Bearer, records last use, and stops when revoked', async () => {
    const r = await ts.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'SIEM push', role: 'analyst', scopes: ['incident:read', 'incident:write'] } });
    expect(r.status).toBe(201);
    const created = createTokenResponse.parse(await r.json());
    expect(created.secret).toMatch(/^sp_[A-Za-z0-9_-]{43}$/);
    expect(created.token.prefix).toBe(created.secret.slice(0, 9));
    const dump = JSON.stringify(await db.sql`SELECT * FROM api_tokens`) + JSON.stringify(await db.sql`SELECT * FROM audit_log`);
    expect(dump).not.toContain(created.secret);
    expect(dump).not.toContain(created.secret.slice(3));

    const bearer = { user: null as never, headers: { authorization: `Bearer ${created.secret}` }, secret: created.secret, credentialId: created.token.id };
    expect((await ts.fetch('/api/v1/incidents', { as: bearer })).status).toBe(200);
    // Scopes narrow the role: no audit:read even if the role had it.
    expect((await ts.fetch('/api/v1/users', { as: bearer })).status).toBe(403);
    // Last use is recorded beside the request, not before its answer: wait for it.
    const listTokens = async () => (await (await ts.fetch('/api/v1/tokens')).json()) as { items: { id: string; last_used_at: string | null }[] };
    await expect.poll(async () => (await listTokens()).items.find((t) => t.id === created.token.id)?.last_used_at ?? null).not.toBeNull();
    expect(JSON.stringify(await listTokens())).not.toContain(created.secret);

    expect((await ts.fetch(`/api/v1/tokens/${created.token.id}`, { method: 'DELETE' })).status).toBe(204);
    const refused = await ts.fetch('/api/v1/incidents', { as: bearer });
    expect(refused.status).toBe(401);
  });
});

describe('first start', () => {
  it('creates admin@localhost with a one-time link when no admin is configured, once', async () => {
    const fresh = await createTestDatabase();
    const lines: string[] = [];
    const { startServer } = await import('../server.ts');
    const { createLogger } = await import('../logger.ts');
    const logger = createLogger({ level: 'silent' });
    const s1 = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: fresh.url, logger, auth: { hashCost: { memoryCost: 4096, timeCost: 2 } } });
    try {
      expect(s1.bootstrap.created).toBe(true);
      expect(s1.bootstrap.email).toBe('admin@localhost');
      expect(s1.bootstrap.inviteUrl).toMatch(/\/accept-invite#token=/);
      lines.push(s1.bootstrap.inviteUrl ?? '');
      const s2 = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: fresh.url, logger });
      expect(s2.bootstrap.created).toBe(false);
      await s2.close();
      const [n] = await fresh.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`;
      expect(n?.n).toBe(1);
    } finally {
      await s1.close();
      await fresh.drop();
    }
    expect(lines).toHaveLength(1);
  });
});

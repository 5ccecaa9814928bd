// @vitest-environment node
/** The identity store: start with the last known user, what a 401 means at start and later, login, logout. */
import { describe, expect, it } from 'vitest';
import type { MeResponse } from '../../shared/auth-api.ts';
import { can } from '../../shared/permissions.ts';
import { createIdentityStore, IDENTITY_STORAGE_KEY, principalOf } from './identity.ts';

const ME: MeResponse = {
  user: {
    id: '0190c0de-0000-7000-8000-000000000001',
    email: 'dana@example.test',
    display_name: 'Dana Reyes',
    role: 'viewer',
    disabled: false,
    created_at: '2026-01-01T00:00:00Z',
    last_login_at: null,
    auth: 'password',
  },
  session_expires_at: '2026-01-02T00:00:00Z',
  grants: {},
  sso: false,
  sso_linked: false,
};

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

function fakeFetch(answer: { status: number; body?: unknown } | 'offline') {
  const calls: string[] = [];
  return {
    calls,
    set(next: typeof answer) {
      answer = next;
    },
    fetch: async (input: string): Promise<Response> => {
      calls.push(input);
      if (answer === 'offline') throw new TypeError('Failed to fetch');
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status });
    },
  };
}

const unauthenticated = { status: 401, body: { error: { code: 'unauthenticated', message: 'Your session has expired; log in again.' } } };

describe('identity', () => {
  it('starts offline with the last known user, and a refused start asks for the login page', async () => {
    const storage = memoryStorage();
    storage.setItem(IDENTITY_STORAGE_KEY, JSON.stringify(ME));
    const net = fakeFetch('offline');
    const identity = createIdentityStore({ fetch: net.fetch, storage });
    expect(identity.state.get()).toMatchObject({ status: 'checking', me: { user: { display_name: 'Dana Reyes' } } });
    await identity.check();
    expect(identity.state.get()).toMatchObject({ status: 'unverified', expired: false });

    // Network back, session gone: while working, that is an expiry (log in again over the screen).
    net.set(unauthenticated);
    await identity.check();
    expect(identity.state.get()).toMatchObject({ status: 'signed-out', expired: true, me: { user: { id: ME.user.id } } });

    const fresh = createIdentityStore({ fetch: net.fetch, storage });
    await fresh.check();
    expect(fresh.state.get()).toMatchObject({ status: 'signed-out', expired: false });
  });

  it('logs in, expires on a 401 seen elsewhere, and forgets the user on logout', async () => {
    const storage = memoryStorage();
    const net = fakeFetch({ status: 200, body: ME });
    const identity = createIdentityStore({ fetch: net.fetch, storage });
    const res = await identity.login('dana@example.test', 'a long password');
    expect(res.ok).toBe(true);
    expect(identity.state.get()).toMatchObject({ status: 'signed-in', expired: false });
    expect(storage.getItem(IDENTITY_STORAGE_KEY)).toContain('Dana Reyes');

    identity.expire();
    expect(identity.state.get()).toMatchObject({ status: 'signed-out', expired: true, me: { user: { display_name: 'Dana Reyes' } } });

    net.set({ status: 204 });
    await identity.logout();
    expect(identity.state.get()).toEqual({ me: null, status: 'signed-out', expired: false });
    expect(storage.getItem(IDENTITY_STORAGE_KEY)).toBeNull();
  });

  it('reports rate limiting with the wait', async () => {
    const net = fakeFetch({ status: 429, body: { error: { code: 'rate_limited', message: 'Too many attempts.' } } });
    const identity = createIdentityStore({
      fetch: async (u) => {
        const r = await net.fetch(u);
        return new Response(await r.text(), { status: r.status, headers: { 'retry-after': '30' } });
      },
      storage: memoryStorage(),
    });
    const res = await identity.login('dana@example.test', 'x');
    expect(res).toMatchObject({ ok: false, error: { kind: 'http', status: 429, retryAfter: 30 } });
  });

  it('gives a viewer read rights only', () => {
    const p = principalOf(ME);
    expect(can(p, 'incident:read')).toBe(true);
    expect(can(p, 'incident:write')).toBe(false);
  });
});

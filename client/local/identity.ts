/**
 * Who is using this device: GET /api/v1/auth/me at start, login, logout, accepting an
 * invitation, linking single sign-on to the account. The last known user (with its guest grants) is kept in localStorage, so the app
 * starts offline with the last identity; the server decides when the network is there. A 401
 * seen anywhere else (`expire`) marks the session as ended without forgetting who it was.
 */
import { z } from 'zod';
import { authConfigResponse, meResponse, oidcLinkResponse, type MeResponse } from '../../shared/auth-api.ts';
import type { Principal } from '../../shared/permissions.ts';
import { ok, type Result } from '../../shared/result.ts';
import { requestJson, type ApiFailure, type FetchFn } from './http-json.ts';
import { createObservable, type ReadonlyObservable } from './observable.ts';

/**
 * checking: asking the server; signed-in: the server confirmed the session; unverified: the
 * server could not be reached (working offline with the last identity); signed-out: no session.
 */
type AuthStatus = 'checking' | 'signed-in' | 'unverified' | 'signed-out';

export interface IdentitySnapshot {
  /** The last known user; null when nobody has logged in on this device (or after logout). */
  me: MeResponse | null;
  status: AuthStatus;
  /** Signed out because the session ended while working (not at start, not by logout). */
  expired: boolean;
}

type AuthConfig = z.infer<typeof authConfigResponse>;

export interface IdentityStore {
  readonly state: ReadonlyObservable<IdentitySnapshot>;
  /** Ask the server who this is (start, network back). */
  check(): Promise<void>;
  config(): Promise<Result<AuthConfig, ApiFailure>>;
  login(email: string, password: string): Promise<Result<MeResponse, ApiFailure>>;
  acceptInvite(token: string, password: string): Promise<Result<MeResponse, ApiFailure>>;
  logout(): Promise<void>;
  /** Start linking single sign-on to the signed-in account (password again): the provider URL to go to. */
  linkSso(password: string): Promise<Result<string, ApiFailure>>;
  /** The server refused the session somewhere (a 401, a 4403 close). */
  expire(): void;
}

export const IDENTITY_STORAGE_KEY = 'sentpilot.identity';

type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function loadIdentity(storage: KeyValueStorage): MeResponse | null {
  try {
    const parsed = meResponse.safeParse(JSON.parse(storage.getItem(IDENTITY_STORAGE_KEY) ?? 'null'));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The permission subject of a signed-in person (see shared/permissions.ts). */
export function principalOf(me: MeResponse): Principal {
  return { kind: 'user', id: me.user.id, name: me.user.display_name, role: me.user.role, scopes: null, grants: me.grants };
}

export function createIdentityStore(deps: { fetch: FetchFn; storage: KeyValueStorage; timeoutMs?: number }): IdentityStore {
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const cached = loadIdentity(deps.storage);
  const state = createObservable<IdentitySnapshot>({ me: cached, status: 'checking', expired: false });

  const signedIn = (me: MeResponse): void => {
    deps.storage.setItem(IDENTITY_STORAGE_KEY, JSON.stringify(me));
    state.set({ me, status: 'signed-in', expired: false });
  };
  const post = (path: string, body: unknown): Promise<Result<MeResponse, ApiFailure>> =>
    requestJson(deps.fetch, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, meResponse, timeoutMs);

  return {
    state,
    async check() {
      const res = await requestJson(deps.fetch, '/api/v1/auth/me', { method: 'GET', cache: 'no-store' }, meResponse, timeoutMs);
      const prev = state.get();
      // At start (checking) a refusal leads to the login page; later it asks to log in again.
      if (res.ok) signedIn(res.value);
      else if (res.error.kind === 'http' && res.error.status === 401)
        state.set({ me: prev.me, status: 'signed-out', expired: prev.me !== null && prev.status !== 'checking' });
      else if (prev.status !== 'signed-out') state.set({ ...prev, status: 'unverified' });
    },
    config: () => requestJson(deps.fetch, '/api/v1/auth/config', { method: 'GET', cache: 'no-store' }, authConfigResponse, timeoutMs),
    async login(email, password) {
      const res = await post('/api/v1/auth/login', { email, password });
      if (res.ok) signedIn(res.value);
      return res;
    },
    async acceptInvite(token, password) {
      const res = await post('/api/v1/auth/accept-invite', { token, password });
      if (res.ok) signedIn(res.value);
      return res;
    },
    async linkSso(password) {
      const res = await requestJson(
        deps.fetch,
        '/api/v1/auth/oidc/link',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) },
        oidcLinkResponse,
        timeoutMs,
      );
      return res.ok ? ok(res.value.url) : res;
    },
    async logout() {
      await requestJson(deps.fetch, '/api/v1/auth/logout', { method: 'POST' }, z.unknown(), timeoutMs);
      deps.storage.removeItem(IDENTITY_STORAGE_KEY);
      state.set({ me: null, status: 'signed-out', expired: false });
    },
    expire() {
      const prev = state.get();
      if (prev.status === 'signed-out') return;
      state.set({ me: prev.me, status: 'signed-out', expired: true });
    },
  };
}

/**
 * Turns a request's credential (the `sp_session` cookie or `Authorization: Bearer`) into a
 * Principal, once per request. Resolved credentials are cached briefly in the process; every
 * change that can take access away (logout, revocation, disabling, role or grant changes)
 * clears the caches of every process at once through NOTIFY, so a revoked credential stops
 * working immediately and the cache never outlives `cacheMs` even if a notification is lost; a
 * cached credential whose session, token or guest grant has run out meanwhile is loaded again,
 * and a load that straddles an invalidation is not cached.
 * Sessions renew their idle expiry on use, at most once a minute; API tokens record their last
 * use at most once a minute.
 */
import type { Principal } from '../../shared/permissions.ts';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { guestAccessOf, lookupApiToken, lookupSession, renewSession, touchApiToken } from './credential-store.ts';
import { API_TOKEN_PREFIX, hashSecret } from './secrets.ts';

export const SESSION_COOKIE = 'sp_session';
const NOTIFY_CHANNEL = 'sentpilot_auth';
const RENEW_EVERY_MS = 60_000;

export interface Credential {
  kind: 'session' | 'token';
  secret: string;
}

export type AuthFailure = 'none' | 'expired' | 'invalid' | 'revoked' | 'disabled';

export interface Authenticated {
  ok: true;
  principal: Principal;
  credential: Credential;
  /** The session (for a cookie) or the token id. */
  credentialId: string;
  /** When the session ends unless renewed; tokens: their expiry or null. */
  expiresAt: Date | null;
  /** A guest's grants that expire, by incident id (empty otherwise): access ends then without any notification. */
  grantsExpireAt: Readonly<Record<string, Date>>;
}

export type AuthResult = Authenticated | { ok: false; reason: AuthFailure };

export const FAILURE_MESSAGES: Record<AuthFailure, string> = {
  none: 'Authentication required: log in, or send an API token as Authorization: Bearer.',
  expired: 'Your session has expired; log in again.',
  invalid: 'The session or API token is not valid; log in again.',
  revoked: 'Your session has expired; log in again.',
  disabled: 'This account is disabled.',
};

export interface Authenticator {
  resolve(cred: Credential | null): Promise<AuthResult>;
  /** Forget every cached credential in every process (after anything that removes access). */
  invalidate(): Promise<void>;
  /** Called after any invalidation (local or from another process). */
  onInvalidate(listener: () => void): () => void;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface AuthenticatorOptions {
  sql: Sql;
  logger: Logger;
  sessionTtlMs: number;
  /** How long a resolved credential is reused without asking Postgres (default 5 s). */
  cacheMs?: number;
  /** Renew a used session's idle expiry at most this often (default 1 min). */
  renewEveryMs?: number;
}

/** Read the credential from headers: a Bearer token wins over the cookie. */
export function credentialFrom(authorization: string | undefined, sessionCookie: string | undefined): Credential | null {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const secret = m?.[1] ?? '';
    return { kind: secret.startsWith(API_TOKEN_PREFIX) ? 'token' : 'session', secret };
  }
  if (sessionCookie) return { kind: 'session', secret: sessionCookie };
  return null;
}

interface Cached {
  result: AuthResult;
  at: number;
  renewedAt: number;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const { sql, logger, sessionTtlMs } = opts;
  const cacheMs = opts.cacheMs ?? 5_000;
  const renewEveryMs = opts.renewEveryMs ?? RENEW_EVERY_MS;
  const cache = new Map<string, Cached>();
  const listeners = new Set<() => void>();
  let unlisten: (() => Promise<void>) | null = null;

  /** Bumped by every invalidation, so a load that straddles one is not cached. */
  let generation = 0;

  function cleared(): void {
    generation++;
    cache.clear();
    for (const l of listeners) {
      try {
        l();
      } catch (e) {
        logger.error({ err: e }, 'auth invalidation listener failed');
      }
    }
  }

  async function load(cred: Credential): Promise<AuthResult> {
    if (cred.kind === 'token') {
      const t = await lookupApiToken(sql, cred.secret);
      if (!t) return { ok: false, reason: 'invalid' };
      if (t.revoked_at) return { ok: false, reason: 'revoked' };
      if (t.expires_at && t.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
      if (!t.last_used_at || Date.now() - t.last_used_at.getTime() > RENEW_EVERY_MS) {
        touchApiToken(sql, t.id).catch((e: unknown) => logger.warn({ err: e }, 'recording token use failed'));
      }
      const principal: Principal = { kind: 'token', id: t.id, name: t.name, role: t.role, scopes: t.scopes, grants: {} };
      return { ok: true, principal, credential: cred, credentialId: t.id, expiresAt: t.expires_at, grantsExpireAt: {} };
    }
    const s = await lookupSession(sql, cred.secret);
    if (!s) return { ok: false, reason: 'invalid' };
    if (s.revoked_at) return { ok: false, reason: 'revoked' };
    if (s.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
    if (s.disabled) return { ok: false, reason: 'disabled' };
    const access = s.role === 'guest' ? await guestAccessOf(sql, s.user_id) : { grants: {}, expiresAt: {} };
    const principal: Principal = { kind: 'user', id: s.user_id, name: s.display_name, role: s.role, scopes: null, grants: access.grants };
    return { ok: true, principal, credential: cred, credentialId: s.session_id, expiresAt: s.expires_at, grantsExpireAt: access.expiresAt };
  }

  /** Has something in a cached result run out since it was loaded (the credential, a guest grant)? */
  function lapsed(r: AuthResult, now: number): boolean {
    if (!r.ok) return false;
    if (r.expiresAt && r.expiresAt.getTime() <= now) return true;
    return Object.values(r.grantsExpireAt).some((d) => d.getTime() <= now);
  }

  function maybeRenew(key: string, c: Cached): void {
    const r = c.result;
    if (!r.ok || r.credential.kind !== 'session' || Date.now() - c.renewedAt < renewEveryMs) return;
    c.renewedAt = Date.now();
    renewSession(sql, r.credentialId, sessionTtlMs).then(
      (exp) => {
        if (exp && cache.get(key) === c && c.result.ok) c.result = { ...c.result, expiresAt: exp };
      },
      (e: unknown) => logger.warn({ err: e }, 'renewing a session failed'),
    );
  }

  return {
    async resolve(cred) {
      if (!cred) return { ok: false, reason: 'none' };
      if (!cred.secret || cred.secret.length > 200) return { ok: false, reason: 'invalid' };
      const key = `${cred.kind}:${hashSecret(cred.secret)}`;
      const now = Date.now();
      const hit = cache.get(key);
      // A result in which something ran out is loaded again (a session renewed elsewhere stays valid).
      if (hit && now - hit.at < cacheMs && !lapsed(hit.result, now)) {
        maybeRenew(key, hit);
        return hit.result;
      }
      const gen = generation;
      const result = await load(cred);
      // Loaded across an invalidation: it may predate the change, so it is not kept.
      if (gen !== generation) return result;
      // Sessions loaded now were just checked; renew only after a minute of use.
      const entry: Cached = { result, at: now, renewedAt: hit?.renewedAt ?? now };
      if (cache.size > 10_000) cache.clear();
      cache.set(key, entry);
      maybeRenew(key, entry);
      return result;
    },
    async invalidate() {
      cleared();
      try {
        await sql.notify(NOTIFY_CHANNEL, 'invalidate');
      } catch (e) {
        logger.warn({ err: e }, 'announcing an auth change failed');
      }
    },
    onInvalidate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      const sub = await sql.listen(NOTIFY_CHANNEL, () => cleared());
      unlisten = () => sub.unlisten();
    },
    async close() {
      await unlisten?.().catch(() => {});
      cache.clear();
    },
  };
}

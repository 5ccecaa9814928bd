/**
 * Sessions and API tokens in Postgres, looked up by the SHA-256 of their secret, and guest
 * grants. `resolve*` return everything needed to build a Principal in one query each.
 */
import type { GuestGrant, Role, Action } from '../../shared/permissions.ts';
import { newId } from '../../shared/ids.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { hashSecret, newApiTokenSecret, randomSecret, tokenDisplayPrefix } from './secrets.ts';

type Db = Sql | TransactionSql;

/** Sessions live at most this long, however active. */
const SESSION_MAX_MS = 7 * 24 * 3600_000;

export interface SessionLookup {
  session_id: string;
  user_id: string;
  expires_at: Date;
  max_expires_at: Date;
  revoked_at: Date | null;
  email: string;
  display_name: string;
  role: Role;
  disabled: boolean;
}

export async function createSession(
  db: Db,
  userId: string,
  ttlMs: number,
  address: string | null,
): Promise<{ secret: string; id: string; expiresAt: Date; maxExpiresAt: Date }> {
  const secret = randomSecret();
  const id = newId();
  const now = Date.now();
  const expiresAt = new Date(now + ttlMs);
  const maxExpiresAt = new Date(now + Math.max(ttlMs, SESSION_MAX_MS));
  await db`
    INSERT INTO sessions (id, token_hash, user_id, expires_at, max_expires_at, address)
    VALUES (${id}, ${hashSecret(secret)}, ${userId}, ${expiresAt}, ${maxExpiresAt}, ${address})`;
  return { secret, id, expiresAt, maxExpiresAt };
}

export async function lookupSession(db: Db, secret: string): Promise<SessionLookup | null> {
  const [row] = await db<SessionLookup[]>`
    SELECT s.id AS session_id, s.user_id, s.expires_at, s.max_expires_at, s.revoked_at,
           u.email, u.display_name, u.role, u.disabled
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = ${hashSecret(secret)}`;
  return row ?? null;
}

/** Push an active session's idle expiry forward (never past its maximum). */
export async function renewSession(db: Db, sessionId: string, ttlMs: number): Promise<Date | null> {
  const [row] = await db<{ expires_at: Date }[]>`
    UPDATE sessions SET expires_at = LEAST(max_expires_at, now() + ${ttlMs} * interval '1 millisecond')
    WHERE id = ${sessionId} AND revoked_at IS NULL RETURNING expires_at`;
  return row?.expires_at ?? null;
}

export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  await db`UPDATE sessions SET revoked_at = now() WHERE id = ${sessionId} AND revoked_at IS NULL`;
}

export async function revokeUserSessions(db: Db, userId: string): Promise<number> {
  const rows = await db`UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL RETURNING id`;
  return rows.length;
}

export async function grantsOf(db: Db, userId: string): Promise<Record<string, GuestGrant>> {
  return (await guestAccessOf(db, userId)).grants;
}

/**
 * A guest's grants in force now (by this process's clock as well as the database's, so a timer
 * set for an expiry and the check it triggers agree), and when each one that expires does.
 */
export async function guestAccessOf(db: Db, userId: string): Promise<{ grants: Record<string, GuestGrant>; expiresAt: Record<string, Date> }> {
  const rows = await db<{ incident_id: string; access: 'read' | 'write'; evidence_download: boolean; expires_at: Date | null }[]>`
    SELECT incident_id::text, access, evidence_download, expires_at FROM guest_grants
    WHERE user_id = ${userId} AND (expires_at IS NULL OR expires_at > now())`;
  const grants: Record<string, GuestGrant> = {};
  const expiresAt: Record<string, Date> = {};
  const now = Date.now();
  for (const r of rows) {
    if (r.expires_at && r.expires_at.getTime() <= now) continue;
    grants[r.incident_id] = { access: r.access, evidence: r.evidence_download };
    if (r.expires_at) expiresAt[r.incident_id] = r.expires_at;
  }
  return { grants, expiresAt };
}

export interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  role: Exclude<Role, 'guest'>;
  scopes: Action[] | null;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export async function createApiToken(
  db: Db,
  t: { name: string; role: Exclude<Role, 'guest'>; scopes: Action[] | null; createdBy: string; expiresAt: Date | null },
): Promise<{ row: TokenRow; secret: string }> {
  const secret = newApiTokenSecret();
  const [row] = await db<TokenRow[]>`
    INSERT INTO api_tokens (id, name, token_hash, prefix, role, scopes, created_by, expires_at)
    VALUES (${newId()}, ${t.name}, ${hashSecret(secret)}, ${tokenDisplayPrefix(secret)}, ${t.role}, ${t.scopes}, ${t.createdBy}, ${t.expiresAt})
    RETURNING id, name, prefix, role, scopes, created_at, created_by, expires_at, revoked_at, last_used_at`;
  if (!row) throw new Error('token insert returned nothing');
  return { row, secret };
}

export async function lookupApiToken(db: Db, secret: string): Promise<TokenRow | null> {
  const [row] = await db<TokenRow[]>`
    SELECT id, name, prefix, role, scopes, created_at, created_by, expires_at, revoked_at, last_used_at
    FROM api_tokens WHERE token_hash = ${hashSecret(secret)}`;
  return row ?? null;
}

export async function listApiTokens(db: Db): Promise<TokenRow[]> {
  return db<TokenRow[]>`
    SELECT id, name, prefix, role, scopes, created_at, created_by, expires_at, revoked_at, last_used_at
    FROM api_tokens ORDER BY created_at DESC`;
}

export async function revokeApiToken(db: Db, id: string): Promise<TokenRow | null> {
  const [row] = await db<TokenRow[]>`
    UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = ${id}
    RETURNING id, name, prefix, role, scopes, created_at, created_by, expires_at, revoked_at, last_used_at`;
  return row ?? null;
}

/** Record use at most once a minute (the caller decides; this writes unconditionally). */
export async function touchApiToken(db: Db, id: string): Promise<void> {
  await db`UPDATE api_tokens SET last_used_at = now() WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
}

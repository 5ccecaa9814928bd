/**
 * Users and their one-time invitations, in Postgres. Emails are unique case-insensitively and
 * stored lower-cased; invitation tokens are stored as SHA-256 only and expire after 7 days.
 */
import type { User } from '../../shared/auth-api.ts';
import { newId } from '../../shared/ids.ts';
import type { Role } from '../../shared/permissions.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { hashSecret, randomSecret } from './secrets.ts';

const INVITE_TTL_MS = 7 * 24 * 3600_000;

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  password_hash: string | null;
  auth_kind: User['auth'];
  oidc_subject: string | null;
  /** Who decides the role: 'oidc' (each single sign-on login, from the claims) or 'local' (Sentpilot). */
  role_source: 'local' | 'oidc';
  /** When a signed-in user linked the OIDC identity (null: none, or the account was created by it). */
  oidc_linked_at: Date | null;
  created_at: Date;
  last_login_at: Date | null;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    display_name: r.display_name,
    role: r.role,
    disabled: r.disabled,
    created_at: r.created_at.toISOString(),
    last_login_at: r.last_login_at?.toISOString() ?? null,
    auth: r.auth_kind,
  };
}

export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  passwordHash: string | null;
  authKind: User['auth'];
  oidcSubject?: string | null;
  /** Default 'local'; 'oidc' for users a single sign-on login creates. */
  roleSource?: UserRow['role_source'];
}

type Db = Sql | TransactionSql;

export async function insertUser(db: Db, u: NewUser): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`
    INSERT INTO users (id, email, display_name, role, password_hash, auth_kind, oidc_subject, role_source)
    VALUES (${newId()}, ${u.email.toLowerCase()}, ${u.displayName}, ${u.role}, ${u.passwordHash}, ${u.authKind}, ${u.oidcSubject ?? null}, ${u.roleSource ?? 'local'})
    ON CONFLICT DO NOTHING
    RETURNING *`;
  return row ?? null;
}

export async function userById(db: Db, id: string): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`SELECT * FROM users WHERE id = ${id}`;
  return row ?? null;
}

export async function userByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`SELECT * FROM users WHERE lower(email) = ${email.toLowerCase()}`;
  return row ?? null;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db<UserRow[]>`SELECT * FROM users ORDER BY created_at, email`;
}

export async function updateUser(db: Db, id: string, patch: { role?: Role; disabled?: boolean; display_name?: string }): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`
    UPDATE users SET
      role = COALESCE(${patch.role ?? null}, role),
      -- A role an admin sets is kept: single sign-on no longer changes it.
      role_source = CASE WHEN ${patch.role ?? null}::text IS NULL THEN role_source ELSE 'local' END,
      disabled = COALESCE(${patch.disabled ?? null}::boolean, disabled),
      display_name = COALESCE(${patch.display_name ?? null}, display_name)
    WHERE id = ${id} RETURNING *`;
  return row ?? null;
}

/** A new one-time invitation for the user; returns the secret (shown once, in a link). */
export async function createInvite(db: Db, userId: string, now = Date.now()): Promise<string> {
  const secret = randomSecret();
  await db`INSERT INTO invites (token_hash, user_id, expires_at) VALUES (${hashSecret(secret)}, ${userId}, ${new Date(now + INVITE_TTL_MS)})`;
  return secret;
}

/** Use an invitation: marks it used and returns its user, or null if unknown/used/expired. */
export async function consumeInvite(db: Db, secret: string): Promise<string | null> {
  const [row] = await db<{ user_id: string }[]>`
    UPDATE invites SET used_at = now()
    WHERE token_hash = ${hashSecret(secret)} AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    RETURNING user_id`;
  return row?.user_id ?? null;
}

/** Revoke the user's invitations not used yet (a re-issued link replaces them); returns how many. */
export async function revokeInvites(db: Db, userId: string): Promise<number> {
  const rows = await db`UPDATE invites SET revoked_at = now() WHERE user_id = ${userId} AND used_at IS NULL AND revoked_at IS NULL RETURNING 1`;
  return rows.length;
}

/** Active people who work on incidents (not disabled, not guests), by name: the assignee picker. */
export async function userDirectory(db: Db): Promise<{ id: string; display_name: string; role: Role }[]> {
  return db<{ id: string; display_name: string; role: Role }[]>`
    SELECT id::text, display_name, role FROM users WHERE NOT disabled AND role <> 'guest' ORDER BY lower(display_name), id`;
}

export function inviteUrl(publicUrl: string, secret: string): string {
  return `${publicUrl.replace(/\/$/, '')}/accept-invite#token=${encodeURIComponent(secret)}`;
}

/**
 * First start: when no admin exists, create one — from ADMIN_EMAIL/ADMIN_PASSWORD, or (no
 * password) `admin@localhost` / ADMIN_EMAIL with a one-time invitation whose link is logged and
 * printed to stdout once. A transaction-level advisory lock makes it idempotent when several
 * processes start at once; later starts find the admin and do nothing.
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../audit/audit-types.ts';
import type { PasswordHasher } from './passwords.ts';
import { createInvite, insertUser, inviteUrl } from './user-store.ts';
import { LOCKS } from '../db/locks.ts';

const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

export interface BootstrapResult {
  created: boolean;
  email?: string;
  /** Set when the admin must choose a password through this link. */
  inviteUrl?: string;
}

export async function bootstrapAdmin(deps: {
  sql: Sql;
  logger: Logger;
  audit: AuditLog;
  hasher: PasswordHasher;
  publicUrl: string;
  email?: string;
  password?: string;
  /** Where the one-time link is printed (stdout in production). */
  print?: (line: string) => void;
}): Promise<BootstrapResult> {
  const { sql } = deps;
  const [exists] = await sql`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`;
  if (exists) return { created: false };
  const email = (deps.email ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
  const hash = deps.password ? await deps.hasher.hash(deps.password) : null;
  const result = await sql.begin(async (tx): Promise<BootstrapResult> => {
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.bootstrap})`;
    const [again] = await tx`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`;
    if (again) return { created: false };
    const u = await insertUser(tx, { email, displayName: 'Administrator', role: 'admin', passwordHash: hash, authKind: hash ? 'password' : 'invited' });
    if (!u) {
      // The email belongs to a non-admin: promote it rather than fail to start.
      const [p] = await tx<{ id: string }[]>`UPDATE users SET role = 'admin', disabled = false WHERE lower(email) = ${email} RETURNING id`;
      await deps.audit.append(
        [{ actor: SYSTEM_ACTOR, action: 'user.bootstrap_admin', targetType: 'user', targetId: p?.id ?? null, details: { email, promoted: true } }],
        tx,
      );
      return { created: true, email };
    }
    const secret = hash ? null : await createInvite(tx, u.id);
    await deps.audit.append(
      [{ actor: SYSTEM_ACTOR, action: 'user.bootstrap_admin', targetType: 'user', targetId: u.id, details: { email, invited: !hash } }],
      tx,
    );
    return secret ? { created: true, email, inviteUrl: inviteUrl(deps.publicUrl, secret) } : { created: true, email };
  });
  if (result.created && result.inviteUrl) {
    deps.logger.warn({ email: result.email }, 'created the first admin; open the printed one-time link to set its password');
    (deps.print ?? ((l: string) => process.stdout.write(`${l}\n`)))(
      `\nSentpilot: first admin ${result.email} created. Set its password (one-time link, valid 7 days):\n  ${result.inviteUrl}\n`,
    );
  } else if (result.created) {
    deps.logger.info({ email: result.email }, 'created the first admin from ADMIN_EMAIL/ADMIN_PASSWORD');
  }
  return result;
}

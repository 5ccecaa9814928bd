/**
 * Guest invitations per incident (guest:invite): list, invite (an unknown email becomes a guest
 * user with a one-time invitation link), remove. A guest reaches only the incidents it holds a
 * grant for; grant changes clear every process's credential cache, so they apply at once.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { inviteGuestRequest, type User } from '../../shared/auth-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { rejectInvalid } from '../http/validation.ts';
import { actorOf } from '../audit/audit-types.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { AuthDeps } from './auth-deps.ts';
import { requireAction, type AuthEnv } from './middleware.ts';
import { createInvite, insertUser, inviteUrl, toUser, userByEmail, type UserRow } from './user-store.ts';

const incidentParam = z.object({ id: z.uuid() });
const guestParam = z.object({ id: z.uuid(), userId: z.uuid() });

interface GrantRow extends UserRow {
  incident_id: string;
  access: 'read' | 'write';
  evidence_download: boolean;
  invited_by: string | null;
  grant_created_at: Date;
  grant_expires_at: Date | null;
}

const toGrant = (r: GrantRow) => ({
  user: toUser(r) satisfies User,
  incident_id: r.incident_id,
  access: r.access,
  evidence_download: r.evidence_download,
  invited_by: r.invited_by ?? 'token',
  created_at: r.grant_created_at.toISOString(),
  expires_at: r.grant_expires_at?.toISOString() ?? null,
});

async function grantsOfIncident(db: Sql | TransactionSql, incidentId: string, userId?: string): Promise<GrantRow[]> {
  return db<GrantRow[]>`
    SELECT u.*, g.incident_id::text, g.access, g.evidence_download, g.invited_by::text,
           g.created_at AS grant_created_at, g.expires_at AS grant_expires_at
    FROM guest_grants g JOIN users u ON u.id = g.user_id
    WHERE g.incident_id = ${incidentId} ${userId ? db`AND g.user_id = ${userId}` : db``}
    ORDER BY g.created_at`;
}

async function incidentExists(db: Sql | TransactionSql, id: string): Promise<boolean> {
  const [r] = await db`SELECT 1 FROM documents WHERE id = ${id} UNION ALL SELECT 1 FROM incidents WHERE id = ${id} LIMIT 1`;
  return r !== undefined;
}

export function createGuestRoutes(deps: AuthDeps): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/incidents/:id/guests', zValidator('param', incidentParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'guest:invite', id);
    return c.json({ items: (await grantsOfIncident(sql, id)).map(toGrant) });
  });

  app.post('/incidents/:id/guests', zValidator('param', incidentParam, rejectInvalid), zValidator('json', inviteGuestRequest, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const p = requireAction(c, 'guest:invite', id);
    const body = c.req.valid('json');
    const result = await sql.begin(async (tx) => {
      if (!(await incidentExists(tx, id))) throw new DomainError('not_found', `no incident ${id}`);
      let u = await userByEmail(tx, body.email);
      let secret: string | null = null;
      if (u && u.role !== 'guest') throw new DomainError('conflict', `${body.email} is already a ${u.role}; guests are for people outside the team`);
      if (!u) {
        u = await insertUser(tx, { email: body.email, displayName: body.display_name, role: 'guest', passwordHash: null, authKind: 'invited' });
        if (!u) throw new DomainError('conflict', `a user with email ${body.email} was created meanwhile; retry`);
        secret = await createInvite(tx, u.id);
      }
      const expires = body.expires_at ? new Date(body.expires_at) : null;
      await tx`
        INSERT INTO guest_grants (user_id, incident_id, access, evidence_download, expires_at, invited_by)
        VALUES (${u.id}, ${id}, ${body.access}, ${body.evidence_download}, ${expires}, ${p.kind === 'user' ? p.id : null})
        ON CONFLICT (user_id, incident_id) DO UPDATE SET access = EXCLUDED.access,
          evidence_download = EXCLUDED.evidence_download, expires_at = EXCLUDED.expires_at`;
      await audit.append(
        [
          {
            actor: actorOf(p),
            action: 'guest.invite',
            targetType: 'user',
            targetId: u.id,
            incidentId: id,
            details: { email: u.email, access: body.access, evidence: body.evidence_download },
          },
        ],
        tx,
      );
      const [g] = await grantsOfIncident(tx, id, u.id);
      if (!g) throw new Error('grant vanished');
      return { grant: toGrant(g), invite_url: secret ? inviteUrl(deps.publicUrl, secret) : null };
    });
    await deps.auth.invalidate();
    return c.json(result, 201);
  });

  app.delete('/incidents/:id/guests/:userId', zValidator('param', guestParam, rejectInvalid), async (c) => {
    const { id, userId } = c.req.valid('param');
    const p = requireAction(c, 'guest:invite', id);
    await sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM guest_grants WHERE incident_id = ${id} AND user_id = ${userId} RETURNING user_id`;
      if (rows.length === 0) throw new DomainError('not_found', `user ${userId} is not a guest of incident ${id}`);
      await audit.append([{ actor: actorOf(p), action: 'guest.remove', targetType: 'user', targetId: userId, incidentId: id }], tx);
    });
    await deps.auth.invalidate();
    return c.body(null, 204);
  });

  return app;
}

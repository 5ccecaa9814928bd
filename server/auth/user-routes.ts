/**
 * User administration (user:manage): list, create (with a password, or an invitation link shown
 * once), change role / display name / disabled, revoke every session of a user. Disabling a
 * user revokes their sessions (API tokens they created keep working: they act as themselves).
 * Every write is audited in the same transaction.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { createUserRequest, patchUserRequest, type User } from '../../shared/auth-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { rejectInvalid } from '../http/validation.ts';
import { actorOf } from '../audit/audit-types.ts';
import type { AuthDeps } from './auth-deps.ts';
import { requireAction, type AuthEnv } from './middleware.ts';
import { revokeUserSessions } from './credential-store.ts';
import { createInvite, insertUser, inviteUrl, listUsers, revokeInvites, toUser, updateUser, userById, userDirectory } from './user-store.ts';

const userIdParam = z.object({ id: z.uuid() });

export function createUserRoutes(deps: AuthDeps): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/users', async (c) => {
    requireAction(c, 'user:manage');
    const items: User[] = (await listUsers(sql)).map(toUser);
    return c.json({ items });
  });

  // Who may be assigned: every signed-in team member may read it (not guests), ids and names only.
  app.get('/users/directory', async (c) => {
    requireAction(c, 'incident:read');
    return c.json({ items: await userDirectory(sql) });
  });

  // A new invitation link for a user who has not accepted yet; the links before it stop working.
  app.post('/users/:id/invite', zValidator('param', userIdParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'user:manage');
    const { id } = c.req.valid('param');
    const result = await sql.begin(async (tx) => {
      const u = await userById(tx, id);
      if (!u) throw new DomainError('not_found', `no user ${id}`);
      if (u.auth_kind !== 'invited')
        throw new DomainError('conflict', `${u.email} has already accepted an invitation (signs in with ${u.auth_kind}); there is nothing to re-issue`);
      if (u.disabled) throw new DomainError('conflict', `${u.email} is disabled; enable the account before inviting again`);
      const revoked = await revokeInvites(tx, id);
      const secret = await createInvite(tx, id);
      await audit.append([{ actor: actorOf(p), action: 'user.reissue_invite', targetType: 'user', targetId: id, details: { email: u.email, revoked } }], tx);
      return { user: toUser(u), invite_url: inviteUrl(deps.publicUrl, secret), revoked };
    });
    return c.json(result, 201);
  });

  app.post('/users', zValidator('json', createUserRequest, rejectInvalid), async (c) => {
    const p = requireAction(c, 'user:manage');
    const body = c.req.valid('json');
    const hash = body.password ? await deps.hasher.hash(body.password) : null;
    const result = await sql.begin(async (tx) => {
      const u = await insertUser(tx, {
        email: body.email,
        displayName: body.display_name,
        role: body.role,
        passwordHash: hash,
        authKind: hash ? 'password' : 'invited',
      });
      if (!u) throw new DomainError('conflict', `a user with email ${body.email} already exists`);
      const secret = hash ? null : await createInvite(tx, u.id);
      await audit.append(
        [{ actor: actorOf(p), action: 'user.create', targetType: 'user', targetId: u.id, details: { email: u.email, role: u.role, invited: !hash } }],
        tx,
      );
      return { user: toUser(u), invite_url: secret ? inviteUrl(deps.publicUrl, secret) : null };
    });
    return c.json(result, 201);
  });

  app.patch('/users/:id', zValidator('param', userIdParam, rejectInvalid), zValidator('json', patchUserRequest, rejectInvalid), async (c) => {
    const p = requireAction(c, 'user:manage');
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    if (id === p.id && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
      throw new DomainError('conflict', 'you cannot disable yourself or remove your own admin role');
    }
    const u = await sql.begin(async (tx) => {
      const before = await userById(tx, id);
      if (!before) throw new DomainError('not_found', `no user ${id}`);
      const after = await updateUser(tx, id, patch);
      if (!after) throw new DomainError('not_found', `no user ${id}`);
      if (patch.disabled === true && !before.disabled) await revokeUserSessions(tx, id);
      await audit.append([{ actor: actorOf(p), action: 'user.update', targetType: 'user', targetId: id, details: { before: toUser(before), patch } }], tx);
      return after;
    });
    await deps.auth.invalidate();
    return c.json(toUser(u));
  });

  app.post('/users/:id/revoke-sessions', zValidator('param', userIdParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'user:manage');
    const { id } = c.req.valid('param');
    const revoked = await sql.begin(async (tx) => {
      if (!(await userById(tx, id))) throw new DomainError('not_found', `no user ${id}`);
      const n = await revokeUserSessions(tx, id);
      await audit.append([{ actor: actorOf(p), action: 'user.revoke_sessions', targetType: 'user', targetId: id, details: { revoked: n } }], tx);
      return n;
    });
    await deps.auth.invalidate();
    return c.json({ revoked });
  });

  return app;
}

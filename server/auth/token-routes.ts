/**
 * API tokens (token:manage): list, create (the secret is in the creation response only; the
 * database keeps its SHA-256), revoke. Audited in the same transaction.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { createTokenRequest, type ApiToken } from '../../shared/auth-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { rejectInvalid } from '../http/validation.ts';
import { actorOf } from '../audit/audit-types.ts';
import type { AuthDeps } from './auth-deps.ts';
import { requireAction, type AuthEnv } from './middleware.ts';
import { createApiToken, listApiTokens, revokeApiToken, type TokenRow } from './credential-store.ts';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

const toApiToken = (t: TokenRow): ApiToken => ({
  id: t.id,
  name: t.name,
  role: t.role,
  scopes: t.scopes,
  created_at: t.created_at.toISOString(),
  created_by: t.created_by,
  expires_at: iso(t.expires_at),
  last_used_at: iso(t.last_used_at),
  revoked_at: iso(t.revoked_at),
  prefix: t.prefix,
});

export function createTokenRoutes(deps: AuthDeps): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/tokens', async (c) => {
    requireAction(c, 'token:manage');
    return c.json({ items: (await listApiTokens(sql)).map(toApiToken) });
  });

  app.post('/tokens', zValidator('json', createTokenRequest, rejectInvalid), async (c) => {
    const p = requireAction(c, 'token:manage');
    if (p.kind !== 'user') throw new DomainError('forbidden', 'forbidden: API tokens are created by a person, not by another token');
    const body = c.req.valid('json');
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new DomainError('bad_request', 'body field "expires_at": must be in the future');
    const created = await sql.begin(async (tx) => {
      const t = await createApiToken(tx, { name: body.name, role: body.role, scopes: body.scopes ?? null, createdBy: p.id, expiresAt });
      await audit.append(
        [
          {
            actor: actorOf(p),
            action: 'token.create',
            targetType: 'token',
            targetId: t.row.id,
            details: { name: body.name, role: body.role, scopes: body.scopes ?? null },
          },
        ],
        tx,
      );
      return t;
    });
    return c.json({ token: toApiToken(created.row), secret: created.secret }, 201);
  });

  app.delete('/tokens/:id', zValidator('param', z.object({ id: z.uuid() }), rejectInvalid), async (c) => {
    const p = requireAction(c, 'token:manage');
    const { id } = c.req.valid('param');
    await sql.begin(async (tx) => {
      const t = await revokeApiToken(tx, id);
      if (!t) throw new DomainError('not_found', `no token ${id}`);
      await audit.append([{ actor: actorOf(p), action: 'token.revoke', targetType: 'token', targetId: id, details: { name: t.name } }], tx);
    });
    await deps.auth.invalidate();
    return c.body(null, 204);
  });

  return app;
}

/**
 * The audit API (audit:read: admin or lead): `GET /audit-logs` filtered by incident, actor,
 * action and time, newest first; `GET /audit-logs/verify` recomputes the whole chain.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { auditQuery, type AuditEntry } from '../../shared/auth-api.ts';
import { rejectInvalid } from '../http/validation.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { AuditLog } from './audit-log.ts';

export function createAuditRoutes(deps: { audit: AuditLog }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/audit-logs/verify', async (c) => {
    requireAction(c, 'audit:read');
    return c.json(await deps.audit.verify());
  });

  app.get('/audit-logs', zValidator('query', auditQuery, rejectInvalid), async (c) => {
    requireAction(c, 'audit:read');
    const page: { items: AuditEntry[]; next_before: number | null } = await deps.audit.list(c.req.valid('query'));
    return c.json(page);
  });

  return app;
}

/**
 * Templates and custom field definitions (mounted under /api/v1): GET /templates (the built-in
 * templates and every category's fields), GET/PUT /templates/:category/fields (PUT: lead,
 * template:manage; audited).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { TEMPLATES, categoryParam, customFieldDefsSchema } from '../../shared/templates.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { fieldDefsOf, loadFieldDefs, saveFieldDefs } from './field-defs.ts';

export const putFieldsRequest = z.object({ fields: customFieldDefsSchema }).strict();

export function createTemplateRoutes(deps: { sql: Sql; audit: AuditLog }): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/templates', async (c) => {
    requireAction(c, 'incident:read');
    const defs = await loadFieldDefs(sql);
    return c.json({
      templates: Object.values(TEMPLATES).map((t) => ({ ...t, tags: [...t.tags], tasks: [...t.tasks] })),
      custom_fields: Object.fromEntries(defs),
    });
  });

  app.get('/templates/:category/fields', zValidator('param', categoryParam, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const { category } = c.req.valid('param');
    return c.json({ category, fields: await fieldDefsOf(sql, category) });
  });

  app.put('/templates/:category/fields', zValidator('param', categoryParam, rejectInvalid), zValidator('json', putFieldsRequest, rejectInvalid), async (c) => {
    const who = requireAction(c, 'template:manage');
    const { category } = c.req.valid('param');
    const { fields } = c.req.valid('json');
    await saveFieldDefs(sql, category, fields, who.name);
    await audit.append([{ actor: actorOf(who), action: 'template.fields', targetType: 'category', targetId: category, details: fields }]);
    return c.json({ category, fields });
  });

  return app;
}

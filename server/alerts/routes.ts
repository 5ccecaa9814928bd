/**
 * Alert routes (under /api/v1): `POST /alerts` (incident:write; native, tool or webhook formats),
 * `GET /alerts` and `GET /alerts/:id` (incident:read), `GET/POST /alert-mappings` and
 * `GET/PUT /alert-rules` (settings:manage). Status of POST /alerts: 200 when every item was
 * stored or ignored (a tool's non-alert events), 207 when some failed, 400 (error body with the
 * items in details) when some failed and none was stored, 413 above 1,000 alerts or 32 MiB.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { alertMappingInputSchema, alertRulesSchema, ingestQuery, listAlertsQuery } from '../../shared/alerts-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { actorOf } from '../audit/audit-types.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import { rejectInvalid } from '../http/validation.ts';
import { getAlert, getMapping, listAlerts, listMappings, loadRules, saveMapping, saveRules } from './alert-store.ts';
import { createIngestor, type IngestDeps } from './ingest.ts';
import { intakeItems, parseFormat } from './intake.ts';

export const MAX_ALERT_BODY_BYTES = 32 * 1024 * 1024;
const idParam = z.object({ id: z.uuid().transform((s) => s.toLowerCase()) });

export function createAlertRoutes(deps: IngestDeps): Hono<AuthEnv> {
  const { sql, audit } = deps;
  const app = new Hono<AuthEnv>();
  const ingest = createIngestor(deps);

  app.post(
    '/alerts',
    bodyLimit({
      maxSize: MAX_ALERT_BODY_BYTES,
      onError: () => {
        throw new DomainError('payload_too_large', `request body larger than ${MAX_ALERT_BODY_BYTES} bytes`);
      },
    }),
    zValidator('query', ingestQuery, rejectInvalid),
    async (c) => {
      const p = requireAction(c, 'incident:write');
      const spec = parseFormat(c.req.valid('query').format);
      const mapping = spec.kind === 'webhook' ? await getMapping(sql, spec.mappingId) : null;
      const items = intakeItems(await c.req.text(), spec, mapping);
      const body = await ingest(items, actorOf(p));
      // Ignored items (a tool's non-alert events) are neither stored nor errors.
      const { failed, ignored } = body.counts;
      if (failed > 0 && failed + ignored === body.items.length) {
        const bad = body.items.find((i) => i.status === 'failed');
        const first = bad?.errors.join('; ') || 'invalid alert';
        throw new DomainError('bad_request', `no alert was accepted: ${body.items.length === 1 ? first : `item ${bad?.index ?? 0}: ${first}`}`, body);
      }
      return c.json(body, body.counts.failed > 0 ? 207 : 200);
    },
  );

  app.get('/alerts', zValidator('query', listAlertsQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    return c.json(await listAlerts(sql, c.req.valid('query')));
  });

  app.get('/alerts/:id', zValidator('param', idParam, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const { id } = c.req.valid('param');
    const alert = await getAlert(sql, id);
    if (!alert) throw new DomainError('not_found', `no alert ${id}`);
    return c.json(alert);
  });

  app.get('/alert-mappings', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json({ items: await listMappings(sql) });
  });

  app.get('/alert-mappings/:id', zValidator('param', idParam, rejectInvalid), async (c) => {
    requireAction(c, 'settings:manage');
    const m = await getMapping(sql, c.req.valid('param').id);
    if (!m) throw new DomainError('not_found', `no alert mapping ${c.req.valid('param').id}`);
    return c.json(m);
  });

  app.post('/alert-mappings', zValidator('json', alertMappingInputSchema, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const input = c.req.valid('json');
    const saved = await sql.begin(async (tx) => {
      const m = await saveMapping(tx, newId(), input);
      await audit.append([{ actor: actorOf(p), action: 'alert_mapping.save', targetType: 'alert_mapping', targetId: m.id, details: input }], tx);
      return m;
    });
    return c.json(saved, 201);
  });

  app.get('/alert-rules', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json(await loadRules(sql));
  });

  app.put('/alert-rules', zValidator('json', alertRulesSchema, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const rules = c.req.valid('json');
    await sql.begin(async (tx) => {
      await saveRules(tx, rules);
      await audit.append([{ actor: actorOf(p), action: 'alert_rules.update', targetType: 'alert_rules', details: rules }], tx);
    });
    return c.json(rules);
  });

  return app;
}

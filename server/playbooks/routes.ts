/**
 * The playbooks API (shared/playbooks-api.ts), behind the auth middleware:
 *
 *   GET  /workflows[?incident_id=]              loaded playbooks (+ whether each matches); refused files for admins
 *   POST /incidents/{id}/execute-workflow       start a run (playbook:run); Idempotency-Key; 202, replay 200
 *   GET  /runs/{id}                             a run with every step's state
 *   GET  /incidents/{id}/runs                   the incident's runs
 *   POST /runs/{id}/cancel                      playbook:run
 *   GET  /approvals?status=                     playbook:approve
 *   POST /approvals/{id}/decide                 playbook:approve, one of the gate's roles, never the starter
 *                                               (nor, for an event's run, the incident's creator: engine/separation.ts)
 *   POST /workflows/{id}/webhook-secret         settings:manage; a new secret, shown once
 *
 * Permission is checked before existence. The engine records, audits and writes every state
 * change to the incident's timeline; these handlers only validate, authorise and ask it.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { incidentIdParam } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { can } from '../../shared/permissions.ts';
import { approvalsQuery, cancelRunBody, decideBody, executeWorkflowBody, workflowsQuery, type WorkflowSummary } from '../../shared/playbooks-api.ts';
import type { SlaPolicy } from '../../shared/sla.ts';
import { actorOf } from '../audit/audit-types.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { getIncident } from '../incidents/incident-queries.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Playbooks } from './engine/service.ts';
import { getRun, listApprovals, listRuns, runIncident } from './engine/queries.ts';
import { actionOf, connectorsNow, stepWarning, type ConnectorsNow } from './engine/readiness.ts';
import { principalKey } from './engine/separation.ts';
import type { LoadedPlaybook } from './loader.ts';
import { incidentMismatch, matchesIncident } from './match.ts';

export interface PlaybookRouteDeps {
  sql: Sql;
  audit: AuditLog;
  policy: SlaPolicy;
  playbooks: Playbooks;
}

const idParam = z.object({ id: z.uuid().transform((s) => s.toLowerCase()) });
const playbookParam = z.object({ id: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a playbook id') });
const IDEMPOTENCY_HEADER = 'idempotency-key';

function summary(p: LoadedPlaybook, matches: boolean | null, secretSet: boolean, connectors: ConnectorsNow): WorkflowSummary {
  const d = p.def;
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    version: d.version,
    file: p.file,
    triggers: d.triggers,
    match: d.match,
    steps: d.steps.map((s) => ({
      id: s.id,
      name: s.name ?? null,
      action: s.action,
      needs: s.needs,
      gated: !!s.approval,
      warning: stepWarning(s.id, actionOf(s.action), connectors),
    })),
    matches,
    webhook_secret_set: secretSet,
  };
}

export function createPlaybookRoutes(deps: PlaybookRouteDeps): Hono<AuthEnv> {
  const { sql, playbooks, policy } = deps;
  const app = new Hono<AuthEnv>();
  const engine = playbooks.engine;

  async function incidentJson(id: string): Promise<Record<string, unknown>> {
    const incident = await getIncident(sql, policy, id);
    if (incident) return incident as unknown as Record<string, unknown>;
    // Its document has arrived but is not projected yet (a moment after creation): say it is
    // pending, so a client shows "preparing" rather than an error; it is ready once it has a key.
    const [received] = await sql`SELECT 1 FROM documents WHERE id = ${id}`;
    if (received) throw new DomainError('not_found', `incident ${id} is not ready yet: the server has received it and is indexing it`, { pending: true });
    throw new DomainError('not_found', `no incident ${id}`);
  }

  async function runOrThrow(id: string): Promise<NonNullable<Awaited<ReturnType<typeof getRun>>>> {
    const run = await getRun(sql, id);
    if (!run) throw new DomainError('not_found', `no run ${id}`);
    return run;
  }

  app.get('/workflows', zValidator('query', workflowsQuery, rejectInvalid), async (c) => {
    const { incident_id } = c.req.valid('query');
    const who = requireAction(c, 'incident:read', incident_id);
    const incident = incident_id ? await incidentJson(incident_id) : null;
    const secrets = new Set((await sql<{ playbook_id: string }[]>`SELECT playbook_id FROM playbook_webhook_secrets`).map((r) => r.playbook_id));
    const connectors = await connectorsNow(sql);
    const catalog = playbooks.catalog();
    const items = await Promise.all(
      catalog.playbooks.map(async (p) => summary(p, incident ? await matchesIncident(p, incident) : null, secrets.has(p.def.id), connectors)),
    );
    return c.json({ items, refused: can(who, 'settings:manage') ? catalog.refused : [] });
  });

  app.post(
    '/incidents/:id/execute-workflow',
    zValidator('param', incidentIdParam, rejectInvalid),
    zValidator('json', executeWorkflowBody, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid('param');
      const who = requireAction(c, 'playbook:run', id);
      const body = c.req.valid('json');
      const header = c.req.header(IDEMPOTENCY_HEADER);
      if (header !== undefined && (header.length < 8 || header.length > 200))
        throw new DomainError('bad_request', 'header "Idempotency-Key": 8 to 200 characters', { field: 'Idempotency-Key' });
      if (header && body.idempotency_key && header !== body.idempotency_key)
        throw new DomainError('bad_request', 'the Idempotency-Key header and body field "idempotency_key" differ', { field: 'idempotency_key' });
      const incident = await incidentJson(id);
      const loaded = playbooks.catalog().playbooks.find((p) => p.def.id === body.playbook_id);
      if (!loaded) throw new DomainError('not_found', `no loaded playbook "${body.playbook_id}"`, { field: 'playbook_id' });
      if (!loaded.def.triggers.manual)
        throw new DomainError('unprocessable', `playbook "${body.playbook_id}" cannot be started by hand (triggers.manual is false)`, { field: 'playbook_id' });
      const key = header ?? body.idempotency_key ?? null;
      const starter = `${who.kind}:${who.id}`;
      // A repeated request answers its run even if the incident has changed since (the run may have changed it).
      const [earlier] = key ? await sql`SELECT 1 FROM playbook_runs WHERE starter = ${starter} AND idempotency_key = ${key}` : [];
      if (!earlier) {
        const why = await incidentMismatch(loaded, incident);
        if (why) throw new DomainError('unprocessable', `playbook "${body.playbook_id}" does not apply to this incident: ${why}`, { field: 'playbook_id' });
      }
      const r = await engine.startRun({
        playbook: loaded.def,
        incidentId: id,
        dryRun: body.dry_run,
        trigger: 'manual',
        triggerBody: null,
        startedBy: { name: who.name, key: starter },
        idempotencyKey: key,
      });
      const run = await runOrThrow(r.runId);
      if (!r.created && run.incident_id !== id)
        throw new DomainError('conflict', 'this idempotency key was already used for another incident', { field: 'idempotency_key' });
      return c.json(run, r.created ? 202 : 200);
    },
  );

  app.get('/runs/:id', zValidator('param', idParam, rejectInvalid), async (c) => {
    const who = requireAction(c, 'incident:read');
    const { id } = c.req.valid('param');
    const run = await runOrThrow(id);
    if (run.incident_id) requireAction(c, 'incident:read', run.incident_id);
    else if (!can(who, 'playbook:run')) throw new DomainError('forbidden', 'forbidden: runs without an incident need playbook:run');
    return c.json(run);
  });

  app.get('/incidents/:id/runs', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    return c.json({ items: await listRuns(sql, id) });
  });

  app.post('/runs/:id/cancel', zValidator('param', idParam, rejectInvalid), zValidator('json', cancelRunBody, rejectInvalid), async (c) => {
    const who = requireAction(c, 'playbook:run');
    const { id } = c.req.valid('param');
    const r = await runIncident(sql, id);
    if (!r) throw new DomainError('not_found', `no run ${id}`);
    if (r.incident_id) requireAction(c, 'playbook:run', r.incident_id);
    await engine.cancelRun(id, actorOf(who), c.req.valid('json').reason);
    return c.json(await runOrThrow(id));
  });

  app.get('/approvals', zValidator('query', approvalsQuery, rejectInvalid), async (c) => {
    const who = requireAction(c, 'playbook:approve');
    const q = c.req.valid('query');
    return c.json({ items: await listApprovals(sql, principalKey(who), { status: q.status, limit: q.limit }) });
  });

  app.post('/approvals/:id/decide', zValidator('param', idParam, rejectInvalid), zValidator('json', decideBody, rejectInvalid), async (c) => {
    const who = requireAction(c, 'playbook:approve');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await engine.decide(id, who, body.decision, body.reason);
    const [approval] = await listApprovals(sql, principalKey(who), { id });
    return c.json(approval);
  });

  app.post('/workflows/:id/webhook-secret', zValidator('param', playbookParam, rejectInvalid), async (c) => {
    const who = requireAction(c, 'settings:manage');
    const { id } = c.req.valid('param');
    const loaded = playbooks.catalog().playbooks.find((p) => p.def.id === id);
    if (!loaded) throw new DomainError('not_found', `no loaded playbook "${id}"`);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const sealed = playbooks.box.seal(secret);
    await sql.begin(async (tx) => {
      await tx`INSERT INTO playbook_webhook_secrets (playbook_id, sealed, updated_by) VALUES (${id}, ${sealed}, ${who.name})
        ON CONFLICT (playbook_id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now(), updated_by = EXCLUDED.updated_by`;
      await deps.audit.append(
        [
          {
            actor: actorOf(principalOf(c)),
            action: 'playbook.webhook_secret.set',
            targetType: 'playbook',
            targetId: id,
            details: { playbook_id: id, webhook_enabled: loaded.def.triggers.webhook },
          },
        ],
        tx,
      );
    });
    return c.json({ secret });
  });

  return app;
}

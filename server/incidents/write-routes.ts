/**
 * The incident write API (mounted under /api/v1): create (optionally from a template), PATCH
 * (closing needs a resolution and a one-line summary: 400 naming the missing field), timeline
 * events, related-incident links (written into both documents), a lead's correction of a stamped
 * time (milestones), and prioritize; closing a true positive of a severity the category's setting
 * names needs the post-incident review completed (409 naming what is missing; post-mortem-routes.ts).
 * Every write goes into the incident's document through the document manager (origin
 * SERVER_ORIGIN), so every open device sees it live; the projector is then run at once so the
 * response shows the rows. Permission before existence; each write is audited with its actor.
 */
import { Hono, type Context } from 'hono';
import { zValidator } from '@hono/zod-validator';
import * as Y from 'yjs';
import { incidentIdParam } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { addTimelineEntry, correctMilestone, isIncidentDoc, SERVER_ORIGIN, setRelated, type NewEntry } from '../../shared/incident-doc.ts';
import {
  correctMilestoneRequest,
  createEventRequest,
  createIncidentRequest,
  MILESTONE_FIELDS,
  patchIncidentRequest,
  relatedParams,
} from '../../shared/incidents-api.ts';
import { newId } from '../../shared/ids.ts';
import { can } from '../../shared/permissions.ts';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../shared/sla.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import { loadFieldDefs } from './field-defs.ts';
import { getIncident } from './incident-queries.ts';
import { writeNewIncident, writePatch, type WriteContext, type WriteRefusal } from './incident-writer.ts';
import { createPostMortemRoutes } from './post-mortem-routes.ts';
import { restWrite } from './rest-write.ts';
import { loadReviewGate } from './post-mortem-store.ts';
import type { Projector } from './projector.ts';

export interface IncidentWriteDeps {
  sql: Sql;
  docs: DocumentManager;
  projector: Projector;
  audit: AuditLog;
  policy?: SlaPolicy;
}

const refused = (r: WriteRefusal): DomainError => new DomainError(r.code, r.message, r.details);

export function createIncidentWriteRoutes(deps: IncidentWriteDeps): Hono<AuthEnv> {
  const { sql, docs, projector, audit } = deps;
  const policy = deps.policy ?? DEFAULT_SLA_POLICY;
  const app = new Hono<AuthEnv>();

  async function context(c: Context<AuthEnv>): Promise<WriteContext> {
    return { actor: principalOf(c).name, origin: SERVER_ORIGIN, policy, fieldDefs: await loadFieldDefs(sql), reviewGate: await loadReviewGate(sql) };
  }

  const { mustExist, stored, storedAndProjected } = restWrite(docs, projector);

  /** Stored and projected, answered with the incident as the API shows it. */
  async function current(id: string): Promise<unknown> {
    await storedAndProjected(id);
    const incident = await getIncident(sql, policy, id);
    if (!incident) throw new DomainError('internal', `incident ${id} was written but not projected`);
    return incident;
  }

  /** Refuse a link before anything is written: the other incident must be writable and (to link) exist. */
  async function checkRelated(c: Context<AuthEnv>, id: string, others: readonly string[], linked: boolean): Promise<void> {
    const who = principalOf(c);
    for (const other of others) {
      if (other === id)
        throw new DomainError('unprocessable', 'body field "related_incidents": an incident cannot be related to itself', { field: 'related_incidents' });
      if (!can(who, 'incident:write', other)) {
        throw new DomainError('forbidden', `forbidden: your role (${who.role}) lacks incident:write on related incident ${other}`, {
          action: 'incident:write',
          incident_id: other,
        });
      }
      if (linked && !(await docs.withDoc(other, (doc) => isIncidentDoc(doc)))) {
        throw new DomainError('unprocessable', `body field "related_incidents": no incident ${other}`, { field: 'related_incidents' });
      }
    }
  }

  /** Link or unlink `id` and each of `others` in both documents (after checkRelated). */
  async function relate(id: string, others: readonly string[], linked: boolean): Promise<void> {
    for (const other of others) {
      await docs.withDoc(id, (doc) => setRelated(doc, other, linked, SERVER_ORIGIN));
      await docs.withDoc(other, (doc) => {
        if (isIncidentDoc(doc)) setRelated(doc, id, linked, SERVER_ORIGIN);
      });
    }
  }

  app.post('/incidents', zValidator('json', createIncidentRequest, rejectInvalid), async (c) => {
    const who = requireAction(c, 'incident:write');
    const req = c.req.valid('json');
    const id = newId();
    const ctx = await context(c);
    // Built on a detached document first, so a refusal leaves nothing behind in the manager.
    const draft = new Y.Doc({ guid: id });
    const r = writeNewIncident(draft, req, ctx);
    if (!r.ok) throw refused(r.error);
    await docs.withDoc(id, (_doc, handle) => {
      const applied = handle.applyUpdate(Y.encodeStateAsUpdate(draft), SERVER_ORIGIN, { actor: actorOf(who) });
      if (!applied.ok) throw new DomainError('internal', applied.error);
    });
    draft.destroy();
    await audit.append([{ actor: actorOf(who), action: 'incident.create', targetType: 'incident', targetId: id, incidentId: id, details: req }]);
    return c.json(await current(id), 201);
  });

  app.patch('/incidents/:id', zValidator('param', incidentIdParam, rejectInvalid), zValidator('json', patchIncidentRequest, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const who = requireAction(c, 'incident:write', id);
    const patch = c.req.valid('json');
    await mustExist(id);
    const { related_incidents: related, ...rest } = patch;
    // Links are checked before anything is written; the patch itself is checked whole by writePatch.
    await checkRelated(c, id, related?.add ?? [], true);
    await checkRelated(c, id, related?.remove ?? [], false);
    const ctx = await context(c);
    if (Object.keys(rest).length > 0) {
      const r = await docs.withDoc(id, (doc) => writePatch(doc, rest, ctx));
      if (!r.ok) throw refused(r.error);
    }
    if (related?.add?.length) await relate(id, related.add, true);
    if (related?.remove?.length) await relate(id, related.remove, false);
    await audit.append([{ actor: actorOf(who), action: 'incident.patch', targetType: 'incident', targetId: id, incidentId: id, details: patch }]);
    for (const other of [...(related?.add ?? []), ...(related?.remove ?? [])]) await projector.project(other);
    return c.json(await current(id));
  });

  app.post('/incidents/:id/events', zValidator('param', incidentIdParam, rejectInvalid), zValidator('json', createEventRequest, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const who = requireAction(c, 'incident:write', id);
    const body = c.req.valid('json');
    await mustExist(id);
    const r = await docs.withDoc(id, (doc) =>
      // The payload is checked against the kind's schema (shared/timeline-payloads.ts) before anything is written.
      addTimelineEntry(doc, { kind: body.kind, text: body.text, at: body.at, data: body.data ?? null, author: who.name } as NewEntry, SERVER_ORIGIN),
    );
    if (!r.ok) {
      const field = r.error.startsWith('at:') ? 'at' : 'data';
      throw new DomainError('bad_request', `body field "${field}": ${r.error}`, { field });
    }
    await stored(id);
    await audit.append([{ actor: actorOf(who), action: 'incident.event', targetType: 'timeline_entry', targetId: r.value, incidentId: id, details: body }]);
    await projector.project(id);
    return c.json({ id: r.value }, 201);
  });

  for (const [method, linked] of [
    ['post', true],
    ['delete', false],
  ] as const) {
    app[method]('/incidents/:id/related/:other', zValidator('param', relatedParams, rejectInvalid), async (c) => {
      const { id, other } = c.req.valid('param');
      const who = requireAction(c, 'incident:write', id);
      await mustExist(id);
      await checkRelated(c, id, [other], linked);
      await relate(id, [other], linked);
      await stored(id);
      await stored(other);
      await audit.append([
        {
          actor: actorOf(who),
          action: linked ? 'incident.relate' : 'incident.unrelate',
          targetType: 'incident',
          targetId: id,
          incidentId: id,
          details: { other },
        },
      ]);
      await projector.project(other);
      return c.json(await current(id));
    });
  }

  // A lead corrects a workflow-stamped time; the metrics read the corrected one.
  app.post(
    '/incidents/:id/milestones',
    zValidator('param', incidentIdParam, rejectInvalid),
    zValidator('json', correctMilestoneRequest, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid('param');
      requireAction(c, 'incident:write', id);
      const who = requireAction(c, 'incident:correct', id);
      const body = c.req.valid('json');
      await mustExist(id);
      const r = await docs.withDoc(id, (doc) => correctMilestone(doc, MILESTONE_FIELDS[body.field], body.at, body.reason, who.name, SERVER_ORIGIN));
      if (!r.ok) throw new DomainError('conflict', `${body.field}: ${r.error}`, { field: body.field });
      await audit.append([{ actor: actorOf(who), action: 'incident.correct_milestone', targetType: 'incident', targetId: id, incidentId: id, details: body }]);
      return c.json(await current(id));
    },
  );

  app.post('/incidents/:id/prioritize', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:write', id);
    await mustExist(id);
    return c.json(await current(id));
  });

  // The post-incident review and action items (issue 12): written through the document like the routes above.
  app.route('/', createPostMortemRoutes({ sql, docs, projector, audit }));

  return app;
}

/**
 * The post-incident review API (issue 12; mounted under /api/v1 by the incident write routes):
 * GET/POST /incidents/:id/post-mortem (the review fields, written into the document; a body that
 * breaks the schema is 422 naming the field, nothing written), a lead's sign-off, action items
 * (POST per incident, GET across incidents with filters, PATCH by id: dropping is a status), and
 * the closing gate's setting per category (GET, PUT by a lead).
 *
 * Like every REST write, each goes into the incident's document through the document manager
 * (origin SERVER_ORIGIN), is stored before the answer and projected at once (rest-write.ts), and audited. The review
 * is read from the document (its texts are not projected); action items from their rows.
 * Permission before existence: a guest asking for an action item of an incident it was not
 * invited to gets the same 403 whether the item exists or not.
 */
import { Hono, type Context } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { incidentIdParam } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import {
  addActionItem,
  readMeta,
  readReview,
  reviewMissing,
  reviewRequired,
  setReviewFields,
  signOffReview,
  SERVER_ORIGIN,
  updateActionItem,
  type ReviewPatch,
  type ReviewTextKey,
} from '../../shared/incident-doc.ts';
import type { Review } from '../../shared/incident-schema.ts';
import {
  actionItemParam,
  actionItemsQuery,
  createActionItemRequest,
  patchActionItemRequest,
  postMortemRequest,
  putReviewGateRequest,
  type PostMortemRequest,
} from '../../shared/post-mortem-api.ts';
import { can } from '../../shared/permissions.ts';
import { categoryParam } from '../../shared/templates.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { principalOf, requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid, rejectUnprocessable } from '../http/validation.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import { actionItemIncidents, getActionItem, listActionItems, loadReviewGate, reviewGateSettings, saveReviewGate } from './post-mortem-store.ts';
import type { Projector } from './projector.ts';
import { restWrite } from './rest-write.ts';

/** The request's fields as the document names them. */
function patchOf(body: PostMortemRequest): ReviewPatch {
  const texts: Partial<Record<ReviewTextKey, string>> = {};
  const put = (key: ReviewTextKey, v: string | undefined): void => {
    if (v !== undefined) texts[key] = v;
  };
  put('summary', body.summary);
  put('impactWhat', body.impact?.what);
  put('impactWho', body.impact?.who);
  put('impactDuration', body.impact?.duration);
  put('impactData', body.impact?.data);
  put('impactRegulatory', body.impact?.regulatory);
  put('detectionHow', body.detection?.how);
  put('detectionWhen', body.detection?.when);
  put('detectionLateWhy', body.detection?.late_why);
  put('rootCause', body.root_cause);
  put('contributingFactors', body.contributing_factors);
  put('wentWell', body.went_well);
  put('wentWrong', body.went_wrong);
  put('lucky', body.lucky);
  return {
    texts,
    ...(body.detection?.late !== undefined ? { detectionLate: body.detection.late } : {}),
    ...(body.five_whys ? { fiveWhys: body.five_whys } : {}),
    ...(body.decisions ? { decisions: body.decisions } : {}),
  };
}

const itemsOut = (items: Review['fiveWhys']) => items.filter((i) => !i.deleted).map(({ id, text, by, at }) => ({ id, text, by, at }));

function reviewOut(r: Review) {
  return {
    summary: r.summary,
    impact: r.impact,
    detection: { how: r.detection.how, when: r.detection.when, late: r.detection.late, late_why: r.detection.lateWhy },
    root_cause: r.rootCause,
    contributing_factors: r.contributingFactors,
    five_whys: itemsOut(r.fiveWhys),
    went_well: r.wentWell,
    went_wrong: r.wentWrong,
    lucky: r.lucky,
    decisions: itemsOut(r.decisions),
    signed_off_by: r.signedOffBy,
    signed_off_at: r.signedOffAt,
    updated_at: r.updatedAt,
    updated_by: r.updatedBy,
  };
}

export function createPostMortemRoutes(deps: { sql: Sql; docs: DocumentManager; projector: Projector; audit: AuditLog }): Hono<AuthEnv> {
  const { sql, docs, projector, audit } = deps;
  const app = new Hono<AuthEnv>();

  const { mustExist, storedAndProjected } = restWrite(docs, projector);

  async function postMortemOf(id: string) {
    const gate = await loadReviewGate(sql);
    const { review, meta } = await docs.withDoc(id, (doc) => ({ review: readReview(doc), meta: readMeta(doc) }));
    const items = await listActionItems(sql, { incident_id: id, limit: 500, offset: 0 });
    return {
      incident_id: id,
      review: reviewOut(review),
      missing: reviewMissing(review),
      required_to_close: reviewRequired(gate.get(meta.category) ?? [], meta.severity, 'true_positive'),
      action_items: items.items,
    };
  }

  app.get('/incidents/:id/post-mortem', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    await mustExist(id);
    return c.json(await postMortemOf(id));
  });

  app.post(
    '/incidents/:id/post-mortem',
    zValidator('param', incidentIdParam, rejectInvalid),
    zValidator('json', postMortemRequest, rejectUnprocessable),
    async (c) => {
      const { id } = c.req.valid('param');
      const who = requireAction(c, 'incident:write', id);
      const body = c.req.valid('json');
      await mustExist(id);
      const r = await docs.withDoc(id, (doc) => setReviewFields(doc, patchOf(body), who.name, SERVER_ORIGIN));
      // The schema at the edge is the accessor's; a refusal here would be a mismatch between them.
      if (!r.ok) throw new DomainError('unprocessable', `body field "${r.error.split(':')[0] ?? ''}": ${r.error}`, { field: r.error.split(':')[0] });
      await storedAndProjected(id);
      await audit.append([{ actor: actorOf(who), action: 'incident.post_mortem', targetType: 'incident', targetId: id, incidentId: id, details: body }]);
      return c.json(await postMortemOf(id));
    },
  );

  app.post('/incidents/:id/post-mortem/sign-off', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const who = requireAction(c, 'review:signoff', id);
    await mustExist(id);
    const r = await docs.withDoc(id, (doc) => signOffReview(doc, who.name, SERVER_ORIGIN));
    if (!r.ok) throw new DomainError('conflict', r.error.message, { missing: r.error.missing });
    await storedAndProjected(id);
    await audit.append([{ actor: actorOf(who), action: 'incident.post_mortem_sign_off', targetType: 'incident', targetId: id, incidentId: id, details: {} }]);
    return c.json({ signed_off_by: who.name, signed_off_at: r.value });
  });

  app.post(
    '/incidents/:id/action-items',
    zValidator('param', incidentIdParam, rejectInvalid),
    zValidator('json', createActionItemRequest, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid('param');
      const who = requireAction(c, 'incident:write', id);
      const body = c.req.valid('json');
      await mustExist(id);
      const r = await docs.withDoc(id, (doc) =>
        addActionItem(
          doc,
          { title: body.title, owner: body.owner ?? null, due: body.due ?? null, type: body.type, status: body.status },
          who.name,
          SERVER_ORIGIN,
        ),
      );
      if (!r.ok) throw new DomainError('conflict', r.error);
      await storedAndProjected(id);
      await audit.append([{ actor: actorOf(who), action: 'action_item.create', targetType: 'action_item', targetId: r.value, incidentId: id, details: body }]);
      const item = await getActionItem(sql, id, r.value);
      if (!item) throw new DomainError('internal', `action item ${r.value} was written but not projected`);
      return c.json(item, 201);
    },
  );

  /** The incidents a principal may read action items of (undefined: all). */
  function readable(c: Context<AuthEnv>): string[] | undefined {
    const who = principalOf(c);
    if (can(who, 'incident:read')) return undefined;
    if (who.role !== 'guest') requireAction(c, 'incident:read');
    return Object.keys(who.grants).filter((id) => can(who, 'incident:read', id));
  }

  app.get('/action-items', zValidator('query', actionItemsQuery, rejectInvalid), async (c) => {
    const q = c.req.valid('query');
    return c.json(await listActionItems(sql, q, readable(c)));
  });

  app.patch('/action-items/:id', zValidator('param', actionItemParam, rejectInvalid), zValidator('json', patchActionItemRequest, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    const who = principalOf(c);
    const body = c.req.valid('json');
    // Permission before existence: without incident:write anywhere, the answer is 403 whether or not the item exists.
    const global = can(who, 'incident:write');
    if (!global && who.role !== 'guest') requireAction(c, 'incident:write');
    const incidents = await actionItemIncidents(sql, id);
    const incidentId = incidents[0];
    if (!global && (incidentId === undefined || !can(who, 'incident:write', incidentId))) requireAction(c, 'incident:write', incidentId ?? id);
    if (incidentId === undefined) throw new DomainError('not_found', `no action item ${id}`);
    if (incidents.length > 1) throw new DomainError('conflict', `action item id ${id} is held by ${incidents.length} incidents`, { incident_ids: incidents });
    const r = await docs.withDoc(incidentId, (doc) => updateActionItem(doc, id, body, SERVER_ORIGIN));
    if (!r.ok) throw new DomainError(r.error.startsWith('no action item') ? 'not_found' : 'unprocessable', r.error);
    await storedAndProjected(incidentId);
    await audit.append([{ actor: actorOf(who), action: 'action_item.patch', targetType: 'action_item', targetId: id, incidentId, details: body }]);
    const item = await getActionItem(sql, incidentId, id);
    if (!item) throw new DomainError('internal', `action item ${id} was written but not projected`);
    return c.json(item);
  });

  app.get('/settings/review-gate', async (c) => {
    requireAction(c, 'incident:read');
    return c.json({ items: await reviewGateSettings(sql) });
  });

  app.put(
    '/settings/review-gate/:category',
    zValidator('param', categoryParam, rejectInvalid),
    zValidator('json', putReviewGateRequest, rejectInvalid),
    async (c) => {
      const who = requireAction(c, 'template:manage');
      const { category } = c.req.valid('param');
      const { severities } = c.req.valid('json');
      await saveReviewGate(sql, category, severities, who.name);
      await audit.append([{ actor: actorOf(who), action: 'settings.review_gate', targetType: 'category', targetId: category, details: { severities } }]);
      return c.json({ items: await reviewGateSettings(sql) });
    },
  );

  return app;
}

/**
 * What the incident write API does to a document, through the shared accessors only: create
 * (optionally from a template, with its checklist) and patch (fields, workflow status, sets,
 * custom fields, breach). A patch is checked whole before anything is written, so a refused
 * request changes nothing; the caller runs these inside `docs.withDoc` with SERVER_ORIGIN.
 */
import type * as Y from 'yjs';
import {
  addAsset,
  addObservable,
  addTag,
  addTasksOnce,
  checkClosing,
  checkReviewGate,
  closeIncident,
  createIncident,
  DEFAULT_REVIEW_SEVERITIES,
  readMeta,
  removeAsset,
  removeObservable,
  removeTag,
  setBreach,
  setCustomField,
  setFields,
  setStatus,
} from '../../shared/incident-doc.ts';
import type { EditableFields, Severity } from '../../shared/incident-schema.ts';
import type { CreateIncidentRequest, PatchIncidentRequest } from '../../shared/incidents-api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { knownRegulation, type SlaPolicy } from '../../shared/sla.ts';
import { templateFor, validateCustomFields, type CustomFieldDef } from '../../shared/templates.ts';
import { transition, type Status } from '../../shared/workflow.ts';
import type { ReviewGate } from './post-mortem-store.ts';

export interface WriteRefusal {
  code: 'bad_request' | 'conflict' | 'unprocessable';
  message: string;
  details?: Record<string, unknown>;
}

export interface WriteContext {
  actor: string;
  origin: unknown;
  policy: SlaPolicy;
  /** Custom field definitions by category. */
  fieldDefs: ReadonlyMap<string, readonly CustomFieldDef[]>;
  /** The closing gate: per category, the severities whose true-positive closings need the review completed. */
  reviewGate: ReviewGate;
}

const refuse = (code: WriteRefusal['code'], message: string, details?: Record<string, unknown>): Result<never, WriteRefusal> =>
  err({ code, message, ...(details ? { details } : {}) });

function checkBreach(policy: SlaPolicy, breach: { regulation: string } | null | undefined): Result<void, WriteRefusal> {
  if (breach && !knownRegulation(policy, breach.regulation)) {
    return refuse(
      'unprocessable',
      `body field "breach.regulation": unknown regulation "${breach.regulation}" (known: ${Object.keys(policy.regulations).join(', ')})`,
      {
        field: 'breach.regulation',
      },
    );
  }
  return ok(undefined);
}

/** Initialise `doc` as a new incident from the request (and its template). */
export function writeNewIncident(doc: Y.Doc, req: CreateIncidentRequest, ctx: WriteContext): Result<void, WriteRefusal> {
  const template = req.template ? templateFor(req.template) : null;
  const b = checkBreach(ctx.policy, req.breach);
  if (!b.ok) return b;
  const category = req.category ?? template?.category ?? 'unclassified';
  if (req.custom_fields) {
    const v = validateCustomFields(ctx.fieldDefs.get(category) ?? [], req.custom_fields, req.custom_fields);
    if (!v.ok) return refuse('unprocessable', v.error.message, { field: `custom_fields.${v.error.field}` });
  }
  doc.transact(() => {
    createIncident(
      doc,
      {
        title: req.title,
        description: req.description,
        category,
        severity: req.severity ?? template?.severity,
        priority: req.priority,
        tlp: req.tlp,
        assignee: req.assigned_to ?? null,
        occurredAt: req.occurred_at ?? null,
        detectedAt: req.detected_at,
        tags: [...new Set([...(template?.tags ?? []), ...(req.tags ?? [])])],
        assets: req.affected_assets?.map((a) => a.toLowerCase()),
        observables: req.observables,
        templateId: template?.id ?? null,
        breach: req.breach ? { regulation: req.breach.regulation, awareAt: req.breach.aware_at } : null,
        createdBy: ctx.actor,
      },
      ctx.origin,
    );
    addTasksOnce(doc, template?.tasks ?? [], ctx.origin);
    for (const [name, value] of Object.entries(req.custom_fields ?? {})) setCustomField(doc, name, value, ctx.origin);
  }, ctx.origin);
  return ok(undefined);
}

const reviewSeverities = (ctx: WriteContext, category: string): readonly Severity[] => ctx.reviewGate.get(category) ?? DEFAULT_REVIEW_SEVERITIES;

const FIELD_MAP = {
  title: 'title',
  description: 'description',
  category: 'category',
  severity: 'severity',
  priority: 'priority',
  tlp: 'tlp',
  assigned_to: 'assignee',
  reported_by: 'reporter',
  occurred_at: 'occurredAt',
  detected_at: 'detectedAt',
  reported_at: 'reportedAt',
} as const satisfies Partial<Record<keyof PatchIncidentRequest, keyof EditableFields>>;

/**
 * Apply a PATCH to an incident document. Refusals (invalid transition: conflict; custom field or
 * regulation: unprocessable) are decided before any write. Returns the related incidents to
 * link (`add`) and unlink (`remove`) on the other side.
 */
export function writePatch(doc: Y.Doc, patch: PatchIncidentRequest, ctx: WriteContext): Result<void, WriteRefusal> {
  const meta = readMeta(doc);
  if (patch.status !== undefined) {
    const t = transition(meta.status, patch.status);
    if (!t.ok && t.error.code === 'not_allowed') {
      return refuse('conflict', t.error.message, { from: t.error.from, to: t.error.to, allowed: [...t.error.allowed] });
    }
  }
  // Closing needs a resolution and a one-line summary; they come only with the closing itself.
  const closing = patch.status === 'closed' && meta.status !== 'closed';
  if (closing) {
    const c = checkClosing({ resolution: patch.resolution, summary: patch.closing_summary });
    if (!c.ok) return refuse('bad_request', `body field "${c.error.field}": ${c.error.message}`, { field: c.error.field });
    // The category and severity it closes with: a patch that lowers them while closing is judged by the new ones.
    const gate = checkReviewGate(doc, c.value.resolution, reviewSeverities(ctx, patch.category ?? meta.category), patch.severity ?? meta.severity);
    if (!gate.ok) return refuse('conflict', gate.error.message, { field: 'review', missing: gate.error.missing });
  } else if (patch.resolution !== undefined || patch.closing_summary !== undefined) {
    const field = patch.resolution !== undefined ? 'resolution' : 'closing_summary';
    return refuse('bad_request', `body field "${field}": given only with "status": "closed" on an incident that is not closed yet`, { field });
  }
  const b = checkBreach(ctx.policy, patch.breach);
  if (!b.ok) return b;
  if (patch.custom_fields) {
    const category = patch.category ?? meta.category;
    const after = { ...meta.customFields, ...patch.custom_fields };
    const v = validateCustomFields(ctx.fieldDefs.get(category) ?? [], patch.custom_fields, after);
    if (!v.ok) return refuse('unprocessable', v.error.message, { field: `custom_fields.${v.error.field}` });
  }
  const fields: EditableFields = {};
  for (const [k, name] of Object.entries(FIELD_MAP)) {
    const v = patch[k as keyof typeof FIELD_MAP];
    if (v !== undefined) (fields as Record<string, unknown>)[name] = v;
  }
  let failure: string | null = null;
  doc.transact(() => {
    if (Object.keys(fields).length > 0) {
      const r = setFields(doc, fields, ctx.actor, ctx.origin);
      if (!r.ok) failure = r.error;
    }
    if (closing) {
      closeIncident(doc, { resolution: patch.resolution, summary: patch.closing_summary }, ctx.actor, ctx.origin, {
        reviewSeverities: reviewSeverities(ctx, patch.category ?? meta.category),
      });
    } else if (patch.status !== undefined && patch.status !== meta.status) {
      setStatus(doc, patch.status as Status, ctx.actor, { reason: patch.status_reason, origin: ctx.origin });
    }
    for (const t of patch.tags?.add ?? []) addTag(doc, t, ctx.origin);
    for (const t of patch.tags?.remove ?? []) removeTag(doc, t, ctx.origin);
    for (const a of patch.affected_assets?.add ?? []) addAsset(doc, a.toLowerCase(), ctx.origin);
    for (const a of patch.affected_assets?.remove ?? []) removeAsset(doc, a.toLowerCase(), ctx.origin);
    for (const o of patch.observables?.add ?? []) addObservable(doc, o, ctx.origin);
    for (const o of patch.observables?.remove ?? []) removeObservable(doc, o, ctx.origin);
    for (const [name, value] of Object.entries(patch.custom_fields ?? {})) setCustomField(doc, name, value, ctx.origin);
    if (patch.breach !== undefined) {
      setBreach(doc, patch.breach && { regulation: patch.breach.regulation, awareAt: patch.breach.aware_at }, ctx.actor, ctx.origin);
    }
  }, ctx.origin);
  // setFields validated with the same schema the request passed, so this cannot happen in practice.
  if (failure) return refuse('unprocessable', failure);
  return ok(undefined);
}

/**
 * incident.* actions: write into the run's incident document through the document manager
 * (origin SERVER_ORIGIN, so every device sees the change live) with the shared accessors.
 * Status changes go through the workflow: a refused transition fails naming the allowed ones;
 * moving to the status the incident already has is a success that changes nothing (a repeated
 * attempt after a crash must not fail). Entries and tasks get ids derived from the idempotency
 * key, so a repeated attempt finds them and adds nothing twice. A dry run reads, never writes.
 * Closing needs a resolution and a one-line summary (`resolution`, `closing_summary`), checked
 * with the shared `checkClosing` and written with `closeIncident`, as a closing by hand, behind the
 * same closing gate (a true positive of a severity the category's setting names needs the review).
 */
import { createHash } from 'node:crypto';
import type * as Y from 'yjs';
import { z } from 'zod';
import { editableFieldsSchema, RESOLUTIONS, type EditableFields } from '../../../shared/incident-schema.ts';
import {
  addTasksOnce,
  addTimelineEntry,
  checkClosing,
  checkReviewGate,
  closeIncident,
  DEFAULT_REVIEW_SEVERITIES,
  entryText,
  isIncidentDoc,
  readMeta,
  setFields,
  setStatus,
  SERVER_ORIGIN,
} from '../../../shared/incident-doc.ts';
import { templateFor, TEMPLATE_IDS } from '../../../shared/templates.ts';
import { loadReviewGate } from '../../incidents/post-mortem-store.ts';
import { allowedTransitions, STATUSES } from '../../../shared/workflow.ts';
import { ActionError, defineAction, type ActionContext, type ActionDef, type Json } from './types.ts';

/** A stable id for the n-th thing this attempt adds (same key, same id). */
const derivedId = (ctx: ActionContext, what: string, n: number): string =>
  createHash('sha256').update(`${ctx.idempotencyKey}|${what}|${n}`).digest('hex').slice(0, 32);

function incidentIdOf(ctx: ActionContext): string {
  if (!ctx.incidentId) throw new ActionError('failed', 'this run has no incident');
  return ctx.incidentId;
}

/** Run `fn` on the incident's document (refusing a document without an incident). */
function withIncident<T>(ctx: ActionContext, fn: (doc: Y.Doc) => T): Promise<T> {
  const id = incidentIdOf(ctx);
  return ctx.services.docs.withDoc(id, (doc) => {
    if (!isIncidentDoc(doc)) throw new ActionError('failed', `incident ${id} not found`);
    return fn(doc);
  });
}

/** The API's snake_case names of the editable fields (the document's are camelCase). */
const f = editableFieldsSchema.shape;
const setFieldsInput = z
  .object({
    title: f.title,
    description: f.description,
    category: f.category,
    severity: f.severity,
    priority: f.priority,
    tlp: f.tlp,
    assignee: f.assignee,
    reporter: f.reporter,
    occurred_at: f.occurredAt,
    detected_at: f.detectedAt,
    reported_at: f.reportedAt,
  })
  .strict()
  .refine((i) => Object.values(i).some((v) => v !== undefined), { message: 'set at least one field' })
  .transform(({ occurred_at, detected_at, reported_at, ...rest }): EditableFields => {
    const out: EditableFields = { ...rest };
    if (occurred_at !== undefined) out.occurredAt = occurred_at;
    if (detected_at !== undefined) out.detectedAt = detected_at;
    if (reported_at !== undefined) out.reportedAt = reported_at;
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as EditableFields;
  });

const setFieldsAction = defineAction({
  name: 'incident.set_fields',
  description: 'Set incident fields (title, description, category, severity, priority, tlp, assignee, reporter, occurred_at, detected_at, reported_at).',
  input: setFieldsInput,
  effect: false,
  run: (fields, ctx) =>
    withIncident(ctx, (doc): Json => {
      const meta = readMeta(doc) as unknown as Record<string, unknown>;
      const changed = Object.entries(fields)
        .filter(([k, v]) => v !== undefined && meta[k] !== v)
        .map(([k]) => k);
      if (ctx.dryRun) return { dry_run: true, would: { set: fields as Json, changed } };
      const r = setFields(doc, fields, ctx.actorName, SERVER_ORIGIN);
      if (!r.ok) throw new ActionError('failed', r.error);
      return { changed };
    }),
});

/** Does a `with` value stand for something only known at run time (a `{{ … }}` template)? */
const templated = (v: unknown): boolean => JSON.stringify(v ?? null).includes('{{');

/**
 * Closing needs a resolution and a one-line summary, as a closing by hand (PATCH, the status
 * control): `resolution` and `closing_summary`, named as the REST API names them. They come only
 * with `status: closed`. Checked by the action at run time (rendered templates) and, for what is
 * written literally, by the loader when the playbook is loaded (`checkWith`).
 */
const setStatusInput = z
  .object({
    status: z.enum(STATUSES),
    reason: z.string().max(2_000).optional(),
    resolution: z.string().optional(),
    closing_summary: z.string().optional(),
  })
  .strict();
type SetStatusInput = z.infer<typeof setStatusInput>;

/** The problem with the closing fields of a set_status input, by field, or null. */
function closingProblem(i: SetStatusInput): { field: 'resolution' | 'closing_summary' | 'reason'; message: string } | null {
  if (i.status !== 'closed') {
    if (i.resolution !== undefined) return { field: 'resolution', message: 'resolution: given only with status: closed' };
    if (i.closing_summary !== undefined) return { field: 'closing_summary', message: 'closing_summary: given only with status: closed' };
    return null;
  }
  const c = checkClosing({ resolution: i.resolution, summary: i.closing_summary });
  if (!c.ok) return { field: c.error.field, message: `${c.error.field}: ${c.error.message}` };
  if (i.reason !== undefined)
    return { field: 'reason', message: "reason: a closing is explained by closing_summary (the entry's text); give that instead of reason" };
  return null;
}

const setStatusAction = defineAction({
  name: 'incident.set_status',
  description:
    'Move the incident through the workflow (new, triage, containment, eradication, recovery, post_incident, closed). Closing needs resolution (true_positive, benign_true_positive, false_positive, duplicate) and closing_summary (one line).',
  input: setStatusInput,
  effect: false,
  checkWith(raw) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
    const w = raw as Record<string, unknown>;
    // Only what is written literally can be judged now; a template is judged when it is rendered.
    if (templated(w['status'])) return [];
    const literal = (k: string): unknown => (templated(w[k]) ? (k === 'resolution' ? RESOLUTIONS[0] : 'templated') : w[k]);
    const p = closingProblem({
      status: w['status'] as SetStatusInput['status'],
      reason: w['reason'] === undefined ? undefined : String(w['reason']),
      resolution: w['resolution'] === undefined ? undefined : (literal('resolution') as string),
      closing_summary: w['closing_summary'] === undefined ? undefined : String(literal('closing_summary')),
    });
    return p ? [{ path: [p.field], reason: p.message }] : [];
  },
  run: async (i, ctx) => {
    // The closing gate's setting is read before the document is taken (no query inside withDoc).
    const gate = i.status === 'closed' ? await loadReviewGate(ctx.services.sql) : null;
    return withIncident(ctx, (doc): Json => {
      const problem = closingProblem(i);
      if (problem) throw new ActionError('invalid_input', problem.message, false, { field: problem.field });
      const from = readMeta(doc).status;
      if (from === i.status) return { from, to: i.status, changed: false };
      const allowed = allowedTransitions(from);
      if (!allowed.includes(i.status)) {
        throw new ActionError('failed', `cannot move the incident from ${from} to ${i.status}; allowed: ${allowed.join(', ') || 'none'}`, false, {
          from,
          to: i.status,
          allowed: [...allowed],
        });
      }
      if (i.status === 'closed') {
        // Checked above; the same check again gives the cleaned values (one line, known resolution).
        const closing = checkClosing({ resolution: i.resolution, summary: i.closing_summary });
        if (!closing.ok) throw new ActionError('invalid_input', closing.error.message, false, { field: closing.error.field });
        const { resolution, summary } = closing.value;
        // As a closing by hand: a true positive of a severity the category's setting names needs the review completed.
        const reviewSeverities = gate?.get(readMeta(doc).category) ?? DEFAULT_REVIEW_SEVERITIES;
        const review = checkReviewGate(doc, resolution, reviewSeverities);
        if (!review.ok) throw new ActionError('failed', review.error.message, false, { field: 'review', missing: review.error.missing });
        if (ctx.dryRun) return { dry_run: true, would: { from, to: 'closed', resolution, closing_summary: summary } };
        // The same accessor as a closing by hand: the status change entry carries the summary and the resolution.
        const r = closeIncident(doc, closing.value, ctx.actorName, SERVER_ORIGIN, { reviewSeverities });
        if (!r.ok) throw new ActionError('failed', r.error.message);
        return { from, to: 'closed', changed: true, resolution, closing_summary: summary };
      }
      if (ctx.dryRun) return { dry_run: true, would: { from, to: i.status } };
      const r = setStatus(doc, i.status, ctx.actorName, { reason: i.reason ?? '', origin: SERVER_ORIGIN });
      if (!r.ok) throw new ActionError('failed', `cannot move the incident from ${from} to ${i.status}`);
      return { from, to: i.status, changed: true };
    });
  },
});

const addEntryAction = defineAction({
  name: 'incident.add_entry',
  description: 'Add a timeline entry (an automation note by default).',
  input: z
    .object({
      text: z.string().min(1).max(20_000),
      kind: z.enum(['automation', 'note']).default('automation'),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  effect: false,
  run: (i, ctx) =>
    withIncident(ctx, (doc): Json => {
      const id = derivedId(ctx, 'entry', 0);
      if (ctx.dryRun) return { dry_run: true, would: { kind: i.kind, text: i.text } };
      if (entryText(doc, id)) return { entry_id: id, added: false };
      const r = addTimelineEntry(
        doc,
        { id, kind: i.kind, text: i.text, author: ctx.actorName, data: { ...i.data, run_id: ctx.runId, step_id: ctx.stepId } },
        SERVER_ORIGIN,
      );
      if (!r.ok) throw new ActionError('failed', r.error);
      return { entry_id: id, added: true };
    }),
});

const addTasksAction = defineAction({
  name: 'incident.add_tasks',
  description: "Add checklist tasks: a template's checklist (`template: ransomware`) and/or a list of titles.",
  input: z
    .object({
      template: z.enum(TEMPLATE_IDS).optional(),
      tasks: z.array(z.string().trim().min(1).max(400)).max(100).optional(),
    })
    .strict()
    .refine((i) => i.template !== undefined || (i.tasks?.length ?? 0) > 0, { message: 'give template or tasks', path: ['tasks'] }),
  effect: false,
  run: (i, ctx) =>
    withIncident(ctx, (doc): Json => {
      const titles = [...(i.template ? (templateFor(i.template)?.tasks ?? []) : []), ...(i.tasks ?? [])];
      if (ctx.dryRun) return { dry_run: true, would: { tasks: titles } };
      // A task with the same title (not deleted) is already there: from the template, an earlier
      // run, a person, or this step's own lost attempt (same derived ids). It is not added again.
      const { ids, added } = addTasksOnce(doc, titles, SERVER_ORIGIN, (n) => derivedId(ctx, 'task', n));
      return { task_ids: ids, added };
    }),
});

export const INCIDENT_ACTIONS: readonly ActionDef[] = [setFieldsAction, setStatusAction, addEntryAction, addTasksAction];

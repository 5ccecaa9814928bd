/**
 * Turns an incident read from its document (shared/incident-doc.ts `readIncident`) into the rows
 * of `incidents`, `timeline_entries`, `tasks` and `action_items`. Pure and defensive: strings lose NUL bytes and
 * their lone surrogates become U+FFFD (Postgres refuses both), timestamps Postgres cannot hold
 * become null, duplicate ids keep their first occurrence, `__proto__` keys are dropped from JSON.
 */
import type { Incident } from '../../shared/incident-schema.ts';
import { priorityScore, type PriorityFactor } from '../../shared/priority.ts';
import { safeText } from '../../shared/safe-text.ts';
import { DEFAULT_SLA_POLICY, slaFor, type SlaPolicy } from '../../shared/sla.ts';
import { STATUS_PHASE } from '../../shared/workflow.ts';

export interface IncidentRow {
  id: string;
  title: string;
  description: string;
  status: string;
  phase: string;
  severity: string;
  priority: string;
  category: string;
  tlp: string;
  assigned_to: string | null;
  reported_by: string | null;
  created_by: string;
  tags: string[];
  affected_assets: string[];
  observables: unknown;
  custom_fields: unknown;
  created_at: Date;
  updated_at: Date;
  occurred_at: Date | null;
  detected_at: Date | null;
  reported_at: Date | null;
  contained_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  /** The closing's classification and summary while the incident is closed (null when open). */
  resolution: string | null;
  closing_summary: string | null;
  open_tasks: number;
  total_tasks: number;
  timeline_count: number;
  search_text: string;
  version: number;
  problems: number;
  related_incidents: string[];
  template_id: string | null;
  risk: unknown;
  risk_score: number | null;
  breach_regulation: string | null;
  breach_aware_at: Date | null;
  breach_due: Date | null;
  response_due: Date | null;
  resolution_due: Date | null;
  priority_score: number;
  priority_factors: PriorityFactor[];
}

/** What the projection needs beyond the document: the SLA policy, the clock, the asset inventory. */
export interface ProjectionContext {
  policy: SlaPolicy;
  now: Date;
  /** Highest criticality (1-5) among the incident's affected assets in the inventory, or null. */
  maxAssetCriticality: number | null;
}

interface TimelineRow {
  incident_id: string;
  id: string;
  ord: number;
  at: string;
  at_ts: Date | null;
  created_at: string;
  author: string;
  kind: string;
  text: string;
  data: unknown;
  deleted: boolean;
  edited_at: string | null;
  edited_by: string | null;
  deleted_by: string | null;
  deleted_at: string | null;
  evidence: string[];
}

interface TaskRow {
  incident_id: string;
  id: string;
  ord: number;
  title: string;
  done: boolean;
  done_by: string | null;
  done_at: string | null;
  created_at: string;
  deleted: boolean;
}

interface ActionItemRow {
  incident_id: string;
  id: string;
  ord: number;
  title: string;
  owner: string | null;
  /** YYYY-MM-DD (Postgres `date`). */
  due: string | null;
  type: string;
  status: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface Projection {
  incident: IncidentRow;
  timeline: TimelineRow[];
  tasks: TaskRow[];
  actionItems: ActionItemRow[];
  /** The key the document carries (null until the server wrote one). */
  docKey: string | null;
}

/**
 * Text Postgres can hold: NUL removed (text and jsonb refuse it) and each lone surrogate replaced
 * by U+FFFD (jsonb refuses it, and the edge does too, but a peer can still write one into the
 * document over sync). Every string the projection writes goes through here, so no string in a
 * document can make its projection fail.
 */
const clean = safeText;

const cleanOrNull = (s: string | null): string | null => (s === null ? null : clean(s));

/** A JSON value safe for jsonb: clean strings and keys, no prototype keys, bounded depth. */
export function cleanJson(value: unknown, depth = 0): unknown {
  if (depth > 20) return null;
  if (typeof value === 'string') return clean(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => cleanJson(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
      out[clean(k)] = cleanJson(v, depth + 1);
    }
    return out;
  }
  return null;
}

/** A timestamp Postgres can store (years 1-9999), or null. */
export function toDate(iso: string | null): Date | null {
  if (iso === null) return null;
  const d = new Date(iso);
  const t = d.getTime();
  if (Number.isNaN(t)) return null;
  const y = d.getUTCFullYear();
  return y >= 1 && y <= 9999 ? d : null;
}

export function toProjection(
  id: string,
  incident: Incident,
  problems: readonly string[],
  version: number,
  ctx: ProjectionContext = { policy: DEFAULT_SLA_POLICY, now: new Date(), maxAssetCriticality: null },
): Projection {
  const m = incident.meta;
  const createdAt = toDate(m.createdAt) ?? new Date(0);
  const seenEntries = new Set<string>();
  const timeline: TimelineRow[] = [];
  for (const e of incident.timeline) {
    // Deduplicated after cleaning: two ids that clean to the same text would collide in the table.
    const entryId = clean(e.id);
    if (seenEntries.has(entryId)) continue;
    seenEntries.add(entryId);
    timeline.push({
      incident_id: id,
      id: entryId,
      ord: timeline.length,
      at: e.at,
      at_ts: toDate(e.at),
      created_at: e.createdAt,
      author: clean(e.author),
      kind: e.kind,
      text: clean(e.text),
      data: e.data === null ? null : cleanJson(e.data),
      deleted: e.deleted,
      edited_at: e.editedAt,
      edited_by: e.editedBy === null ? null : clean(e.editedBy),
      deleted_by: e.deletedBy === null ? null : clean(e.deletedBy),
      deleted_at: e.deletedAt,
      evidence: e.evidence.map(clean),
    });
  }
  const seenTasks = new Set<string>();
  const tasks: TaskRow[] = [];
  for (const t of incident.tasks) {
    const taskId = clean(t.id);
    if (seenTasks.has(taskId)) continue;
    seenTasks.add(taskId);
    tasks.push({
      incident_id: id,
      id: taskId,
      ord: tasks.length,
      title: clean(t.title),
      done: t.done,
      done_by: cleanOrNull(t.doneBy),
      done_at: t.doneAt,
      created_at: t.createdAt,
      deleted: t.deleted,
    });
  }
  const seenItems = new Set<string>();
  const actionItems: ActionItemRow[] = [];
  for (const a of incident.actionItems) {
    const itemId = clean(a.id);
    if (seenItems.has(itemId)) continue;
    seenItems.add(itemId);
    actionItems.push({
      incident_id: id,
      id: itemId,
      ord: actionItems.length,
      title: clean(a.title),
      owner: cleanOrNull(a.owner),
      due: a.due,
      type: a.type,
      status: a.status,
      created_at: a.createdAt,
      created_by: clean(a.createdBy),
      updated_at: a.updatedAt,
    });
  }
  const liveTasks = tasks.filter((t) => !t.deleted);
  const tags = m.tags.map(clean);
  const assets = m.assets.map(clean);
  const searchText = [m.key ?? '', m.title, m.description, ...tags, ...assets, ...m.observables.map((o) => o.value)].map(clean).join('\n').toLowerCase();
  const sla = slaFor(m, ctx.policy, ctx.now);
  const open = m.status !== 'closed';
  const priority = priorityScore({
    severity: m.severity,
    maxAssetCriticality: ctx.maxAssetCriticality,
    slaMinutesLeft: open ? sla.minutes_left : null,
    ageMinutes: (ctx.now.getTime() - createdAt.getTime()) / 60_000,
  });
  return {
    docKey: m.key,
    incident: {
      id,
      title: clean(m.title),
      description: clean(m.description),
      status: m.status,
      phase: STATUS_PHASE[m.status],
      severity: m.severity,
      priority: m.priority,
      category: m.category,
      tlp: m.tlp,
      assigned_to: cleanOrNull(m.assignee),
      reported_by: cleanOrNull(m.reporter),
      created_by: clean(m.createdBy),
      tags,
      affected_assets: assets,
      observables: cleanJson(m.observables),
      custom_fields: cleanJson(m.customFields),
      created_at: createdAt,
      updated_at: toDate(m.updatedAt) ?? createdAt,
      occurred_at: toDate(m.occurredAt),
      detected_at: toDate(m.detectedAt),
      reported_at: toDate(m.reportedAt),
      contained_at: toDate(m.containedAt),
      resolved_at: toDate(m.resolvedAt),
      closed_at: toDate(m.closedAt),
      resolution: open ? null : (m.resolution ?? null),
      closing_summary: open ? null : cleanOrNull(m.closingSummary ?? null),
      open_tasks: liveTasks.filter((t) => !t.done).length,
      total_tasks: liveTasks.length,
      timeline_count: timeline.filter((e) => !e.deleted).length,
      search_text: searchText,
      version,
      problems: problems.length,
      related_incidents: m.relatedIncidents.filter((r) => r !== id),
      template_id: cleanOrNull(m.templateId),
      risk: m.risk === null ? null : cleanJson(m.risk),
      risk_score: m.risk?.score ?? null,
      breach_regulation: m.breach ? clean(m.breach.regulation) : null,
      breach_aware_at: m.breach ? toDate(m.breach.awareAt) : null,
      breach_due: toDate(sla.breach_notification_due),
      response_due: toDate(sla.response_due),
      resolution_due: toDate(sla.resolution_due),
      priority_score: priority.score,
      priority_factors: priority.factors,
    },
    timeline,
    tasks,
    actionItems,
  };
}

/**
 * Read queries over the projection rows for the REST API. Sorting and filtering use only
 * whitelisted SQL; user text reaches Postgres as bound parameters.
 */
import type { IncidentSummary, ListIncidentsQuery, ListIncidentsResponse } from '../../shared/api.ts';
import type { Task, TimelineEntry } from '../../shared/incident-schema.ts';
import type { Risk } from '../../shared/incident-schema.ts';
import type { PriorityFactor } from '../../shared/priority.ts';
import { slaFor, type SlaPolicy } from '../../shared/sla.ts';
import { STATUSES, type Status } from '../../shared/workflow.ts';
import type { Sql } from '../db/connect.ts';

const DATE_COLUMNS = ['created_at', 'updated_at'] as const;
const NULLABLE_DATE_COLUMNS = ['occurred_at', 'detected_at', 'reported_at', 'contained_at', 'resolved_at', 'closed_at'] as const;
type DateColumn = (typeof DATE_COLUMNS)[number];
type NullableDateColumn = (typeof NULLABLE_DATE_COLUMNS)[number];

/** Computed at read time (sla, breach) rather than stored as such. */
type Derived = 'sla' | 'breach';

/** An `incidents` row as selected: the API summary, with timestamps as Postgres returns them. */
export type IncidentDbRow = Omit<IncidentSummary, DateColumn | NullableDateColumn | Derived> &
  Record<DateColumn, Date> &
  Record<NullableDateColumn, Date | null> & {
    breach_regulation: string | null;
    breach_aware_at: Date | null;
    risk: Risk | null;
    priority_factors: PriorityFactor[];
  };

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * The API shape of a row, with the SLA and breach clocks as of `now` under `policy`. Built as one
 * object literal (a fixed shape): the list maps 50-500 rows per request.
 */
export function toSummary(r: IncidentDbRow, policy: SlaPolicy, now: Date): IncidentSummary {
  const created_at = r.created_at.toISOString();
  const resolved_at = iso(r.resolved_at);
  const breach = r.breach_regulation && r.breach_aware_at ? { regulation: r.breach_regulation, awareAt: r.breach_aware_at.toISOString() } : null;
  const sla = slaFor({ severity: r.severity, status: r.status as Status, createdAt: created_at, resolvedAt: resolved_at, breach }, policy, now);
  return {
    id: r.id,
    key: r.key,
    title: r.title,
    description: r.description,
    status: r.status,
    phase: r.phase,
    severity: r.severity,
    priority: r.priority,
    category: r.category,
    tlp: r.tlp,
    assigned_to: r.assigned_to,
    reported_by: r.reported_by,
    created_by: r.created_by,
    tags: r.tags,
    affected_assets: r.affected_assets,
    observables: r.observables,
    custom_fields: r.custom_fields,
    created_at,
    updated_at: r.updated_at.toISOString(),
    occurred_at: iso(r.occurred_at),
    detected_at: iso(r.detected_at),
    reported_at: iso(r.reported_at),
    contained_at: iso(r.contained_at),
    resolved_at,
    closed_at: iso(r.closed_at),
    open_tasks: r.open_tasks,
    total_tasks: r.total_tasks,
    timeline_count: r.timeline_count,
    related_incidents: r.related_incidents,
    template_id: r.template_id,
    risk: r.risk,
    breach: breach && { regulation: breach.regulation, aware_at: breach.awareAt, notification_due: sla.breach_notification_due },
    sla,
    priority_score: r.priority_score,
    priority_factors: r.priority_factors,
  };
}

const SUMMARY_COLUMNS = `id::text, key, title, description, status, phase, severity, priority, category, tlp,
  assigned_to, reported_by, created_by, tags, affected_assets, observables, custom_fields, created_at, updated_at,
  occurred_at, detected_at, reported_at, contained_at, resolved_at, closed_at, open_tasks, total_tasks, timeline_count,
  related_incidents::text[], template_id, risk, breach_regulation, breach_aware_at, priority_score, priority_factors`;

/** `%` `_` and `\` match themselves. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const STATUS_ORDER = `array_position(ARRAY[${STATUSES.map((s) => `'${s}'`).join(',')}]::text[], status)`;

function orderBy(sort: ListIncidentsQuery['sort'], order: ListIncidentsQuery['order']): string {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const expr = {
    updated_at: `updated_at ${dir}`,
    created_at: `created_at ${dir}`,
    severity: `severity ${dir}`,
    priority: `priority ${dir}`,
    key: `key_year ${dir} NULLS LAST, key_n ${dir} NULLS LAST`,
    title: `lower(title) ${dir}, title ${dir}`,
    status: `${STATUS_ORDER} ${dir}`,
    priority_score: `priority_score ${dir}`,
  }[sort];
  return `${expr}, id ${dir}`;
}

/** `onlyIds`: restrict to these incidents (a guest's invitations); omitted = all. */
export async function listIncidents(sql: Sql, policy: SlaPolicy, q: ListIncidentsQuery, onlyIds?: readonly string[]): Promise<ListIncidentsResponse> {
  const text = q.q?.trim() ? `%${escapeLike(q.q.trim().toLowerCase())}%` : null;
  const common = sql`
    ${onlyIds ? sql`AND id = ANY(${onlyIds as string[]}::uuid[])` : sql``}
    ${q.severity ? sql`AND severity = ANY(${q.severity}::text[])` : sql``}
    ${text ? sql`AND search_text LIKE ${text}` : sql``}`;
  const statusFilter = q.status ? sql`AND status = ANY(${q.status}::text[])` : sql``;
  const [rows, countRows] = await Promise.all([
    sql<IncidentDbRow[]>`
      SELECT ${sql.unsafe(SUMMARY_COLUMNS)} FROM incidents
      WHERE TRUE ${common} ${statusFilter}
      ORDER BY ${sql.unsafe(orderBy(q.sort, q.order))}
      LIMIT ${q.limit} OFFSET ${q.offset}`,
    sql<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM incidents WHERE TRUE ${common} GROUP BY status`,
  ]);
  const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const r of countRows) counts[r.status] = r.n;
  const counted: readonly string[] = q.status ?? STATUSES;
  let total = 0;
  for (const s of counted) total += counts[s] ?? 0;
  const now = new Date();
  return { items: rows.map((r) => toSummary(r, policy, now)), total, limit: q.limit, offset: q.offset, counts };
}

export async function getIncident(sql: Sql, policy: SlaPolicy, id: string): Promise<(IncidentSummary & { tasks: Task[] }) | null> {
  const [[row], tasks] = await Promise.all([
    sql<IncidentDbRow[]>`SELECT ${sql.unsafe(SUMMARY_COLUMNS)} FROM incidents WHERE id = ${id}`,
    sql<{ id: string; title: string; done: boolean; done_by: string | null; done_at: string | null; created_at: string; deleted: boolean }[]>`
    SELECT id, title, done, done_by, done_at, created_at, deleted FROM tasks
    WHERE incident_id = ${id} AND NOT deleted ORDER BY ord`,
  ]);
  if (!row) return null;
  return {
    ...toSummary(row, policy, new Date()),
    tasks: tasks.map((t) => ({ id: t.id, title: t.title, done: t.done, doneBy: t.done_by, doneAt: t.done_at, createdAt: t.created_at, deleted: t.deleted })),
  };
}

/** Open incidents by priority (the partial index incidents_priority_queue_idx). */
export async function priorityQueue(sql: Sql, policy: SlaPolicy, limit: number, onlyIds?: readonly string[]): Promise<(IncidentSummary & { priority_explanation: string })[]> {
  const rows = await sql<IncidentDbRow[]>`
    SELECT ${sql.unsafe(SUMMARY_COLUMNS)} FROM incidents
    WHERE status <> 'closed' ${onlyIds ? sql`AND id = ANY(${onlyIds as string[]}::uuid[])` : sql``}
    ORDER BY priority_score DESC, created_at, id LIMIT ${limit}`;
  const now = new Date();
  return rows.map((r) => ({
    ...toSummary(r, policy, now),
    priority_explanation: `${r.priority_score} = ${r.priority_factors.map((f) => `${f.points} (${f.detail})`).join(' + ')}`,
  }));
}

/** The timeline in document order (compareEntries), or null for an unknown incident. */
export async function getTimeline(sql: Sql, id: string, includeDeleted: boolean): Promise<TimelineEntry[] | null> {
  const [exists] = await sql`SELECT 1 FROM incidents WHERE id = ${id}`;
  if (!exists) return null;
  const rows = await sql<{ id: string; at: string; created_at: string; author: string; kind: TimelineEntry['kind']; text: string; data: TimelineEntry['data']; deleted: boolean; edited_at: string | null }[]>`
    SELECT id, at, created_at, author, kind, text, data, deleted, edited_at FROM timeline_entries
    WHERE incident_id = ${id} ${includeDeleted ? sql`` : sql`AND NOT deleted`}
    ORDER BY ord`;
  return rows.map((r) => ({ id: r.id, at: r.at, createdAt: r.created_at, author: r.author, kind: r.kind, text: r.text, data: r.data, deleted: r.deleted, editedAt: r.edited_at }));
}

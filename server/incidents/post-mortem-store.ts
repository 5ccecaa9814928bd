/**
 * The post-incident review's rows (migration 022): the action items the projector writes from
 * the documents, listed across incidents with their filters, and the closing gate's setting per
 * category (table review_gate_settings; a category without a row uses DEFAULT_REVIEW_SEVERITIES).
 */
import { DEFAULT_REVIEW_SEVERITIES } from '../../shared/incident-doc.ts';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../shared/incident-schema.ts';
import type { ActionItemOut, ActionItemsQuery } from '../../shared/post-mortem-api.ts';
import type { Sql } from '../db/connect.ts';

/** The closing gate's severities per category (every category present). */
export type ReviewGate = ReadonlyMap<string, readonly Severity[]>;

const isSeverity = (s: string): s is Severity => (SEVERITIES as readonly string[]).includes(s);

export async function loadReviewGate(sql: Sql): Promise<ReviewGate> {
  const rows = await sql<{ category: string; severities: string[] }[]>`SELECT category, severities FROM review_gate_settings`;
  const out = new Map<string, readonly Severity[]>(CATEGORIES.map((c) => [c, DEFAULT_REVIEW_SEVERITIES]));
  for (const r of rows) out.set(r.category, r.severities.filter(isSeverity));
  return out;
}

/** The setting of every category, with whether it is the default. */
export async function reviewGateSettings(sql: Sql): Promise<{ category: Category; severities: Severity[]; default: boolean }[]> {
  const rows = await sql<{ category: string; severities: string[] }[]>`SELECT category, severities FROM review_gate_settings`;
  const set = new Map(rows.map((r) => [r.category, r.severities.filter(isSeverity)]));
  return CATEGORIES.map((category) => {
    const own = set.get(category);
    return { category, severities: [...(own ?? DEFAULT_REVIEW_SEVERITIES)], default: own === undefined };
  });
}

export async function saveReviewGate(sql: Sql, category: Category, severities: readonly Severity[], by: string): Promise<void> {
  const sorted = SEVERITIES.filter((s) => severities.includes(s));
  await sql`
    INSERT INTO review_gate_settings (category, severities, updated_by, updated_at)
    VALUES (${category}, ${sorted}, ${by}, now())
    ON CONFLICT (category) DO UPDATE SET severities = EXCLUDED.severities, updated_by = EXCLUDED.updated_by, updated_at = now()`;
}

interface ActionItemDbRow {
  id: string;
  incident_id: string;
  incident_key: string | null;
  incident_title: string;
  title: string;
  owner: string | null;
  due: string | null;
  type: ActionItemOut['type'];
  status: ActionItemOut['status'];
  overdue: boolean;
  created_at: string;
  created_by: string;
  updated_at: string;
}

/** Due before today (UTC) and still to do. */
const OVERDUE = `(a.due IS NOT NULL AND a.due < (now() AT TIME ZONE 'UTC')::date AND a.status IN ('open', 'in_progress'))`;

/**
 * Action items across incidents, filtered; `only` limits them to these incidents (a guest's).
 * Ordered by due day (undated last), then incident key and the item's place in its incident.
 */
export async function listActionItems(sql: Sql, q: ActionItemsQuery, only?: readonly string[]): Promise<{ items: ActionItemOut[]; total: number }> {
  const where = [sql`true`];
  if (only) where.push(sql`a.incident_id = ANY(${only as string[]}::uuid[])`);
  if (q.incident_id) where.push(sql`a.incident_id = ${q.incident_id}`);
  if (q.owner) where.push(sql`lower(a.owner) = lower(${q.owner})`);
  if (q.type) where.push(sql`a.type = ${q.type}`);
  if (q.status) where.push(sql`a.status = ${q.status}`);
  if (q.due_before) where.push(sql`a.due < ${q.due_before}::date`);
  if (q.overdue === 'true') where.push(sql`${sql.unsafe(OVERDUE)}`);
  if (q.overdue === 'false') where.push(sql`NOT ${sql.unsafe(OVERDUE)}`);
  const cond = where.reduce((acc, w) => sql`${acc} AND ${w}`);
  const items = await sql<ActionItemDbRow[]>`
    SELECT a.id, a.incident_id::text, i.key AS incident_key, i.title AS incident_title, a.title, a.owner, a.due::text, a.type, a.status,
      ${sql.unsafe(OVERDUE)} AS overdue, a.created_at, a.created_by, a.updated_at
    FROM action_items a JOIN incidents i ON i.id = a.incident_id
    WHERE ${cond}
    ORDER BY a.due ASC NULLS LAST, i.key_year, i.key_n, a.ord
    LIMIT ${q.limit} OFFSET ${q.offset}`;
  const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM action_items a WHERE ${cond}`;
  return { items, total: count?.n ?? 0 };
}

/** The incidents holding an action item with this id (more than one only if a hostile device reused an id). */
export async function actionItemIncidents(sql: Sql, id: string): Promise<string[]> {
  const rows = await sql<{ incident_id: string }[]>`SELECT incident_id::text FROM action_items WHERE id = ${id}`;
  return rows.map((r) => r.incident_id);
}

/** One action item as the API shows it (after a projection). */
export async function getActionItem(sql: Sql, incidentId: string, id: string): Promise<ActionItemOut | null> {
  const r = await listActionItems(sql, { incident_id: incidentId, limit: 500, offset: 0 });
  return r.items.find((i) => i.id === id) ?? null;
}

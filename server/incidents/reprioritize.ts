/**
 * Keeps the projected priority current without loading documents: the score depends on time
 * (SLA time left, age) and on the asset inventory (criticality set by an admin), which change
 * while the incident does not. Reads the open incidents' rows, recomputes `priorityScore` with
 * the same inputs the projection uses, and writes only the scores that changed.
 */
import { priorityScore, type PriorityFactor } from '../../shared/priority.ts';
import { slaFor, type SlaPolicy } from '../../shared/sla.ts';
import type { Status } from '../../shared/workflow.ts';
import type { Sql } from '../db/connect.ts';

interface Row {
  id: string;
  severity: 'S1' | 'S2' | 'S3' | 'S4' | 'S5';
  status: Status;
  created_at: Date;
  resolved_at: Date | null;
  breach_regulation: string | null;
  breach_aware_at: Date | null;
  criticality: number | null;
  priority_score: number;
  priority_factors: PriorityFactor[];
}

const PAGE = 2_000;

/** Factors compared by value (jsonb does not keep key order). */
const canonical = (fs: readonly PriorityFactor[]): string => JSON.stringify(fs.map((f) => [f.factor, f.points, f.detail]));

async function openRows(sql: Sql, afterId: string | null, ids: readonly string[] | undefined): Promise<Row[]> {
  const crit = sql`(SELECT max(a.criticality)::int FROM assets a WHERE a.name IN (SELECT lower(x) FROM unnest(i.affected_assets) x))`;
  return sql<Row[]>`
    SELECT i.id::text, i.severity, i.status, i.created_at, i.resolved_at, i.breach_regulation, i.breach_aware_at,
      ${crit} AS criticality, i.priority_score, i.priority_factors
    FROM incidents i
    WHERE i.status <> 'closed' ${afterId ? sql`AND i.id > ${afterId}` : sql``}
      ${ids ? sql`AND i.id = ANY(${ids as string[]}::uuid[])` : sql``}
    ORDER BY i.id LIMIT ${PAGE}`;
}

/** Recompute the priority of open incidents (all, or `ids`); returns how many changed. */
export async function reprioritize(sql: Sql, policy: SlaPolicy, now: Date, ids?: readonly string[]): Promise<number> {
  let changed = 0;
  let after: string | null = null;
  for (;;) {
    const rows = await openRows(sql, after, ids);
    if (rows.length === 0) break;
    const upd: { id: string; score: number; factors: string }[] = [];
    for (const r of rows) {
      const breach = r.breach_regulation && r.breach_aware_at ? { regulation: r.breach_regulation, awareAt: r.breach_aware_at.toISOString() } : null;
      const sla = slaFor(
        { severity: r.severity, status: r.status, createdAt: r.created_at.toISOString(), resolvedAt: r.resolved_at?.toISOString() ?? null, breach },
        policy,
        now,
      );
      const p = priorityScore({
        severity: r.severity,
        maxAssetCriticality: r.criticality,
        slaMinutesLeft: sla.minutes_left,
        ageMinutes: (now.getTime() - r.created_at.getTime()) / 60_000,
      });
      const factors = JSON.stringify(p.factors);
      if (p.score !== r.priority_score || canonical(p.factors) !== canonical(r.priority_factors)) upd.push({ id: r.id, score: p.score, factors });
    }
    if (upd.length > 0) {
      await sql`
        UPDATE incidents AS i SET priority_score = u.score, priority_factors = u.factors::jsonb
        FROM unnest(${upd.map((u) => u.id)}::uuid[], ${upd.map((u) => u.score)}::int[], ${upd.map((u) => u.factors)}::text[]) AS u(id, score, factors)
        WHERE i.id = u.id AND i.status <> 'closed'`;
      changed += upd.length;
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)?.id ?? null;
  }
  return changed;
}

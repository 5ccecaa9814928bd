/**
 * Response metrics over incidents created in a time range: MTTD (detected − occurred), MTTC (time
 * to contain) and MTTR (time to resolve), both from detection, or creation when there is no
 * detection time, and counts by status, severity and category. One SQL pass over the projection
 * rows, which carry the stamped times as a lead corrected them (correctMilestone).
 */
import type { MetricsResponse } from '../../shared/incidents-api.ts';
import type { Sql } from '../db/connect.ts';

const DAY_MS = 86_400_000;

interface StatsRow {
  incidents: number;
  mttd_n: number;
  mttd_mean: number | null;
  mttd_median: number | null;
  mttc_n: number;
  mttc_mean: number | null;
  mttc_median: number | null;
  mttr_n: number;
  mttr_mean: number | null;
  mttr_median: number | null;
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);

export async function incidentMetrics(sql: Sql, range: { from?: string; to?: string }, onlyIds?: readonly string[]): Promise<MetricsResponse> {
  const to = range.to ? new Date(range.to) : new Date();
  const from = range.from ? new Date(range.from) : new Date(to.getTime() - 30 * DAY_MS);
  const scope = sql`created_at >= ${from} AND created_at < ${to} ${onlyIds ? sql`AND id = ANY(${onlyIds as string[]}::uuid[])` : sql``}`;
  const [stats] = await sql<StatsRow[]>`
    WITH r AS (
      SELECT
        CASE WHEN detected_at >= occurred_at THEN extract(epoch FROM detected_at - occurred_at) / 60 END AS mttd,
        CASE WHEN contained_at >= coalesce(detected_at, created_at) THEN extract(epoch FROM contained_at - coalesce(detected_at, created_at)) / 60 END AS mttc,
        CASE WHEN resolved_at >= coalesce(detected_at, created_at) THEN extract(epoch FROM resolved_at - coalesce(detected_at, created_at)) / 60 END AS mttr
      FROM incidents WHERE ${scope}
    )
    SELECT count(*)::int AS incidents,
      count(mttd)::int AS mttd_n, avg(mttd)::float8 AS mttd_mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY mttd)::float8 AS mttd_median,
      count(mttc)::int AS mttc_n, avg(mttc)::float8 AS mttc_mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY mttc)::float8 AS mttc_median,
      count(mttr)::int AS mttr_n, avg(mttr)::float8 AS mttr_mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY mttr)::float8 AS mttr_median
    FROM r`;
  const groups = await sql<{ dim: string; value: string; n: number }[]>`
    SELECT 'status' AS dim, status AS value, count(*)::int AS n FROM incidents WHERE ${scope} GROUP BY status
    UNION ALL SELECT 'severity', severity, count(*)::int FROM incidents WHERE ${scope} GROUP BY severity
    UNION ALL SELECT 'category', category, count(*)::int FROM incidents WHERE ${scope} GROUP BY category`;
  const by = (dim: string): Record<string, number> => Object.fromEntries(groups.filter((g) => g.dim === dim).map((g) => [g.value, g.n]));
  const s = stats ?? {
    incidents: 0,
    mttd_n: 0,
    mttd_mean: null,
    mttd_median: null,
    mttc_n: 0,
    mttc_mean: null,
    mttc_median: null,
    mttr_n: 0,
    mttr_mean: null,
    mttr_median: null,
  };
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    incidents: s.incidents,
    mttd: { n: s.mttd_n, mean_minutes: round(s.mttd_mean), median_minutes: round(s.mttd_median) },
    mttc: { n: s.mttc_n, mean_minutes: round(s.mttc_mean), median_minutes: round(s.mttc_median) },
    mttr_containment: { n: s.mttc_n, mean_minutes: round(s.mttc_mean), median_minutes: round(s.mttc_median) },
    mttr_resolution: { n: s.mttr_n, mean_minutes: round(s.mttr_mean), median_minutes: round(s.mttr_median) },
    by_status: by('status'),
    by_severity: by('severity'),
    by_category: by('category'),
  };
}

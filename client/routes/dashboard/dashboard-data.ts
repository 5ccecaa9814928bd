/**
 * The leads' trends dashboard as pure functions over the device's incident summaries (the Dexie
 * index, client/local/incident-summary.ts), so it works offline and is tested without a browser.
 * Buckets are UTC weeks (starting Monday) or UTC months of the incident's creation.
 *
 *   MTTD  detected − occurred (incidents with both, detected not before occurred)
 *   MTTR  resolved − (detected, else created), as the metrics page and GET /api/v1/metrics do
 *   SLA breach  the resolution clock of the SLA policy ran out: resolved (else closed, else now)
 *         later than created + the severity's resolve window. The response clock needs the time
 *         the incident left `new`, which the summary does not hold: not counted here.
 * Targets: the organisation has no configured MTTD/MTTR target yet, so the target lines are the
 * SLA policy's windows for one reference severity (DASHBOARD_TARGETS), named as such on the page.
 * ATT&CK techniques: a later issue; the dashboard has a named, empty place for them.
 */
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../shared/incident-schema.ts';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../../shared/sla.ts';
import type { IncidentSummary } from '../../local/incident-summary.ts';

export type Bucket = 'week' | 'month';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

/** The reference severity whose SLA windows are the dashboard's target lines. */
export const TARGET_SEVERITY: Severity = 'S2';
export const DASHBOARD_TARGETS = {
  mttdMinutes: DEFAULT_SLA_POLICY.severity[TARGET_SEVERITY].respondMinutes,
  mttrMinutes: DEFAULT_SLA_POLICY.severity[TARGET_SEVERITY].resolveMinutes,
};

/** The first day (YYYY-MM-DD, UTC) of the week or month holding `ms`. */
export function bucketStart(ms: number, bucket: Bucket): string {
  const d = new Date(ms);
  if (bucket === 'month') return `${d.toISOString().slice(0, 7)}-01`;
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return new Date(midnight - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

/** Every bucket from the one holding `fromMs` to the one holding `toMs − 1`, in order. */
export function bucketKeys(fromMs: number, toMs: number, bucket: Bucket): string[] {
  const keys: string[] = [];
  let cur = bucketStart(fromMs, bucket);
  const last = bucketStart(Math.max(fromMs, toMs - 1), bucket);
  while (cur <= last) {
    keys.push(cur);
    const d = new Date(`${cur}T00:00:00Z`);
    cur =
      bucket === 'week'
        ? new Date(d.getTime() + 7 * DAY_MS).toISOString().slice(0, 10)
        : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  }
  return keys;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const m = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return Math.round(m * 100) / 100;
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/** Minutes from detection to resolution, or null when it cannot be told. */
function mttrOf(r: IncidentSummary): number | null {
  const resolved = ms(r.resolvedAt);
  const start = ms(r.detectedAt) ?? ms(r.createdAt);
  return resolved !== null && start !== null && resolved >= start ? (resolved - start) / MIN_MS : null;
}

function mttdOf(r: IncidentSummary): number | null {
  const occurred = ms(r.occurredAt);
  const detected = ms(r.detectedAt);
  return occurred !== null && detected !== null && detected >= occurred ? (detected - occurred) / MIN_MS : null;
}

/** Did the resolution SLA run out (by `now` for an incident still running)? */
export function breachedResolutionSla(r: IncidentSummary, policy: SlaPolicy, now: number): boolean {
  const created = ms(r.createdAt);
  if (created === null) return false;
  const end = ms(r.resolvedAt) ?? (r.status === 'closed' ? ms(r.closedAt) : null) ?? now;
  return end - created > policy.severity[r.severity].resolveMinutes * MIN_MS;
}

export interface TopRow {
  value: string;
  n: number;
}

export interface OpenActionItem {
  incidentId: string;
  incidentKey: string | null;
  incidentTitle: string;
  title: string;
  owner: string | null;
  due: string | null;
  overdue: boolean;
}

export interface DashboardData {
  bucket: Bucket;
  /** Bucket starts (YYYY-MM-DD). */
  buckets: string[];
  /** Incidents created in the range. */
  incidents: number;
  byCategory: Record<Category, number[]>;
  bySeverity: Record<Severity, number[]>;
  /** Median minutes per bucket; null where no incident has both times. */
  mttd: (number | null)[];
  mttr: (number | null)[];
  slaBreaches: number[];
  topAssets: TopRow[];
  topObservables: TopRow[];
  /** Open or in-progress action items of every incident on the device, overdue first then by due date. */
  actionItems: OpenActionItem[];
  overdueActionItems: number;
}

function top(counts: Map<string, number>, limit: number): TopRow[] {
  return [...counts]
    .map(([value, n]) => ({ value, n }))
    .sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, limit);
}

export interface DashboardOptions {
  from: number;
  to: number;
  bucket: Bucket;
  now: number;
  policy?: SlaPolicy;
  topLimit?: number;
}

export function computeDashboard(rows: readonly IncidentSummary[], opts: DashboardOptions): DashboardData {
  const policy = opts.policy ?? DEFAULT_SLA_POLICY;
  const limit = opts.topLimit ?? 10;
  const buckets = bucketKeys(opts.from, opts.to, opts.bucket);
  const index = new Map(buckets.map((b, i) => [b, i]));
  const zeros = (): number[] => buckets.map(() => 0);
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, zeros()])) as Record<Category, number[]>;
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, zeros()])) as Record<Severity, number[]>;
  const mttdValues: number[][] = buckets.map(() => []);
  const mttrValues: number[][] = buckets.map(() => []);
  const slaBreaches = zeros();
  const assets = new Map<string, number>();
  const observables = new Map<string, number>();
  let incidents = 0;
  for (const r of rows) {
    const created = ms(r.createdAt);
    if (created === null || created < opts.from || created >= opts.to) continue;
    const i = index.get(bucketStart(created, opts.bucket));
    if (i === undefined) continue;
    incidents++;
    byCategory[r.category][i]!++;
    bySeverity[r.severity][i]!++;
    const d = mttdOf(r);
    if (d !== null) mttdValues[i]!.push(d);
    const m = mttrOf(r);
    if (m !== null) mttrValues[i]!.push(m);
    if (breachedResolutionSla(r, policy, opts.now)) slaBreaches[i]!++;
    for (const a of new Set(r.assets)) assets.set(a, (assets.get(a) ?? 0) + 1);
    for (const o of new Set(r.observables ?? [])) observables.set(o, (observables.get(o) ?? 0) + 1);
  }
  const today = new Date(opts.now).toISOString().slice(0, 10);
  const actionItems: OpenActionItem[] = [];
  for (const r of rows) {
    for (const a of r.actionItems ?? []) {
      if (a.status !== 'open' && a.status !== 'in_progress') continue;
      actionItems.push({
        incidentId: r.id,
        incidentKey: r.key,
        incidentTitle: r.title,
        title: a.title,
        owner: a.owner,
        due: a.due,
        overdue: a.due !== null && a.due < today,
      });
    }
  }
  actionItems.sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.due ?? '9999').localeCompare(b.due ?? '9999') || a.title.localeCompare(b.title));
  return {
    bucket: opts.bucket,
    buckets,
    incidents,
    byCategory,
    bySeverity,
    mttd: mttdValues.map(median),
    mttr: mttrValues.map(median),
    slaBreaches,
    topAssets: top(assets, limit),
    topObservables: top(observables, limit),
    actionItems,
    overdueActionItems: actionItems.filter((a) => a.overdue).length,
  };
}

/** A spreadsheet-safe CSV cell: quoted when needed, and a leading = + - @ (or tab/CR) made inert with a quote. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A CSV document (CRLF line ends, RFC 4180). */
export function toCsv(headers: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [headers, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

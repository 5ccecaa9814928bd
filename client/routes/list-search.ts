/**
 * The incident list's filters, kept in the URL (shareable, survive reload and back) and parsed
 * with zod, plus the pure filter/sort/count over the local index rows.
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../shared/incident-schema.ts';
import { STATUSES, type Status } from '../../shared/workflow.ts';
import type { IncidentSummary } from '../local/incident-summary.ts';

export const LIST_SORTS = ['updated', 'created', 'severity', 'key'] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export type StatusFilter = Status | 'open' | 'all';

export interface ListSearch {
  status: StatusFilter;
  severity: Severity[];
  /** One category, or every one (''). */
  category: Category | '';
  q: string;
  sort: ListSort;
  order: 'asc' | 'desc';
  /** Only the incidents assigned to the signed-in user. */
  mine: boolean;
}

export const DEFAULT_LIST_SEARCH: ListSearch = { status: 'open', severity: [], category: '', q: '', sort: 'updated', order: 'desc', mine: false };

const searchSchema = z.object({
  status: z
    .enum([...STATUSES, 'open', 'all'])
    .catch('open')
    .default('open'),
  severity: z
    .string()
    .max(40)
    .transform((s) => s.split(',').filter((v): v is Severity => (SEVERITIES as readonly string[]).includes(v)))
    .catch([])
    .default([]),
  category: z
    .enum([...CATEGORIES, ''])
    .catch('')
    .default(''),
  q: z.string().max(200).catch('').default(''),
  sort: z.enum(LIST_SORTS).catch('updated').default('updated'),
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
  // `assigned=me` in the URL.
  assigned: z.literal('me').optional().catch(undefined),
});

/** The list's search params as they appear in the URL (all optional). */
export type ListSearchInput = Partial<Record<'status' | 'severity' | 'category' | 'q' | 'sort' | 'order' | 'assigned', string>>;

/** Parse the URL's search params; anything unexpected falls back to the default. */
export function parseListSearch(raw: Record<string, unknown>): ListSearch {
  const input = { ...raw, severity: Array.isArray(raw['severity']) ? raw['severity'].join(',') : raw['severity'] };
  const parsed = searchSchema.safeParse(input);
  if (!parsed.success) return DEFAULT_LIST_SEARCH;
  const { assigned, ...rest } = parsed.data;
  return { ...rest, severity: [...new Set(parsed.data.severity)].sort(), mine: assigned === 'me' };
}

/** The search params to put in the URL: only what differs from the defaults. */
export function toUrlSearch(s: ListSearch): ListSearchInput {
  const out: ListSearchInput = {};
  if (s.status !== DEFAULT_LIST_SEARCH.status) out.status = s.status;
  if (s.severity.length) out.severity = s.severity.join(',');
  if (s.category) out.category = s.category;
  if (s.q) out.q = s.q;
  if (s.sort !== DEFAULT_LIST_SEARCH.sort) out.sort = s.sort;
  if (s.order !== DEFAULT_LIST_SEARCH.order) out.order = s.order;
  if (s.mine) out.assigned = 'me';
  return out;
}

const KEY_RE = /^IR-(\d{4})-(\d+)$/;

/** Order keys by year then number; incidents still waiting for a key come last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const ma = KEY_RE.exec(a);
  const mb = KEY_RE.exec(b);
  if (ma && mb) return Number(ma[1]) - Number(mb[1]) || Number(ma[2]) - Number(mb[2]);
  return a.localeCompare(b);
}

function comparator(sort: ListSort, order: 'asc' | 'desc'): (a: IncidentSummary, b: IncidentSummary) => number {
  const dir = order === 'asc' ? 1 : -1;
  const byUpdated = (a: IncidentSummary, b: IncidentSummary): number => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id);
  switch (sort) {
    case 'created':
      return (a, b) => dir * a.createdAt.localeCompare(b.createdAt) || byUpdated(a, b);
    // "desc" = most severe first (S1 sorts before S5).
    case 'severity':
      return (a, b) => -dir * a.severity.localeCompare(b.severity) || byUpdated(a, b);
    case 'key':
      return (a, b) => {
        if (a.key === null || b.key === null) return compareKeys(a.key, b.key) || byUpdated(a, b);
        return dir * compareKeys(a.key, b.key);
      };
    default:
      return (a, b) => dir * a.updatedAt.localeCompare(b.updatedAt) || a.id.localeCompare(b.id);
  }
}

function matchesText(row: IncidentSummary, needle: string): boolean {
  if (!needle) return true;
  if (row.title.toLowerCase().includes(needle)) return true;
  if (row.key?.toLowerCase().includes(needle)) return true;
  if (row.id.startsWith(needle)) return true;
  return row.tags.some((t) => t.toLowerCase().includes(needle));
}

export interface FilteredList {
  rows: IncidentSummary[];
  /** Per status, over the text, severity and category filters (the status tabs' numbers). */
  counts: Record<StatusFilter, number>;
}

/** `me`: the signed-in user's name, what "Assigned to me" matches the assignee against. */
export function filterIncidents(all: readonly IncidentSummary[], s: ListSearch, me: string | null = null): FilteredList {
  const needle = s.q.trim().toLowerCase();
  const severities = new Set(s.severity);
  const counts = Object.fromEntries([...STATUSES, 'open', 'all'].map((k) => [k, 0])) as Record<StatusFilter, number>;
  const rows: IncidentSummary[] = [];
  for (const row of all) {
    if (severities.size && !severities.has(row.severity)) continue;
    if (s.category && row.category !== s.category) continue;
    if (s.mine && (me === null || row.assignee !== me)) continue;
    if (!matchesText(row, needle)) continue;
    counts[row.status]++;
    counts.all++;
    if (row.status !== 'closed') counts.open++;
    const inStatus = s.status === 'all' || (s.status === 'open' ? row.status !== 'closed' : row.status === s.status);
    if (inStatus) rows.push(row);
  }
  rows.sort(comparator(s.sort, s.order));
  return { rows, counts };
}

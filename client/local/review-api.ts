/**
 * The post-incident review's server reads the UI needs beyond the document: the action items
 * across incidents (GET /api/v1/action-items) and the closing gate's setting per category
 * (GET /api/v1/settings/review-gate). Both are kept on the device (localStorage) with the time
 * they were fetched, so the cross-incident list shows its last answer offline and the closing
 * gate holds offline (S1/S2 when never fetched, like the server's default).
 */
import type { z } from 'zod';
import { actionItemsResponse, reviewGateResponse } from '../../shared/post-mortem-api.ts';
import { DEFAULT_REVIEW_SEVERITIES } from '../../shared/incident-doc.ts';
import { SEVERITIES, type Severity } from '../../shared/incident-schema.ts';
import type { Result } from '../../shared/result.ts';
import { requestJson, type ApiFailure } from './http-json.ts';

export type ActionItemList = z.infer<typeof actionItemsResponse>;

/** The filters of the cross-incident list (as the URL and the API name them). */
export interface ActionItemFilter {
  owner?: string;
  type?: string;
  status?: string;
  due_before?: string;
  overdue?: string;
  limit?: number;
}

const GATE_KEY = 'sentpilot:review-gate';
const LIST_KEY = 'sentpilot:action-items:';

const fetchFn = (input: string, init?: RequestInit): Promise<Response> => fetch(input, init);

function store(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or blocked: the answer is only not kept for offline use.
  }
}

function load(key: string): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null;
  }
}

function queryOf(filter: ActionItemFilter): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

/** A list of action items as last fetched, with when. */
export interface StoredList {
  list: ActionItemList;
  at: number;
}

/** Fetch the action items matching `filter`; on success the answer is kept for offline use. */
export async function fetchActionItems(filter: ActionItemFilter): Promise<Result<StoredList, ApiFailure>> {
  const q = queryOf(filter);
  const res = await requestJson(fetchFn, `/api/v1/action-items?${q}`, { method: 'GET', cache: 'no-store' }, actionItemsResponse, 15_000);
  if (!res.ok) return res;
  const value = { list: res.value, at: Date.now() };
  store(LIST_KEY + q, value);
  return { ok: true, value };
}

/** The last list fetched with this filter on this device, or null. */
export function storedActionItems(filter: ActionItemFilter): StoredList | null {
  const v = load(LIST_KEY + queryOf(filter));
  if (!v || typeof v !== 'object' || !('at' in v) || typeof v.at !== 'number' || !('list' in v)) return null;
  const list = actionItemsResponse.safeParse(v.list);
  return list.success ? { list: list.data, at: v.at } : null;
}

/** The severities whose true-positive closings need the review, for a category (device copy; S1/S2 when never fetched). */
export function reviewGateFor(category: string): readonly Severity[] {
  const v = load(GATE_KEY);
  if (v && typeof v === 'object' && category in v) {
    const list = (v as Record<string, unknown>)[category];
    if (Array.isArray(list)) return list.filter((s): s is Severity => (SEVERITIES as readonly unknown[]).includes(s));
  }
  return DEFAULT_REVIEW_SEVERITIES;
}

/** Fetch the closing gate's setting of every category and keep it on the device (a failure keeps the last copy). */
export async function refreshReviewGate(): Promise<void> {
  const res = await requestJson(fetchFn, '/api/v1/settings/review-gate', { method: 'GET', cache: 'no-store' }, reviewGateResponse, 15_000);
  if (res.ok) store(GATE_KEY, Object.fromEntries(res.value.items.map((i) => [i.category, i.severities])));
}

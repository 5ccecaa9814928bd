/**
 * The server's threat-intel API as the client calls it (shared/intel-api.ts is the contract):
 * lookups (one value or up to 10,000), indicator search and detail, the compact snapshot for the
 * device's offline copy, an incident's matches, and the admin side (feeds and their runs, decay
 * models, the allow-list). Every answer is parsed with the shared schemas; lists are accepted as a
 * bare array or `{ items }`. A 401 calls `onUnauthenticated` besides being returned as a failure.
 */
import { z } from 'zod';
import {
  decayModelSchema,
  feedRunSchema,
  feedSchema,
  indicatorDetailSchema,
  indicatorSchema,
  intelMatchesResponse,
  lookupResponse,
  snapshotResponse,
  type FeedBody,
  type IndicatorType,
} from '../../shared/intel-api.ts';
import type { Result } from '../../shared/result.ts';
import { isUnauthenticated, requestJson, type ApiFailure, type FetchFn } from './http-json.ts';

export type LookupResult = z.infer<typeof lookupResponse>['items'][number];
export type IntelMatch = z.infer<typeof intelMatchesResponse>['items'][number];
export type Snapshot = z.infer<typeof snapshotResponse>;
export type DecayModel = z.infer<typeof decayModelSchema>;

/** A search hit: an indicator whose sources the list may leave out. */
const searchHitSchema = indicatorSchema.extend({ sources: indicatorSchema.shape.sources.optional() });
const searchAnswer = z.union([
  z.array(searchHitSchema).transform((items) => ({ items, total: null })),
  z.object({ items: z.array(searchHitSchema), total: z.int().nullable().optional() }).transform((v) => ({ items: v.items, total: v.total ?? null })),
]);
export type SearchAnswer = z.infer<typeof searchAnswer>;

export interface SearchFilter {
  q?: string;
  type?: IndicatorType;
  feed_id?: string;
  min_score?: number;
  active?: 'true' | 'false';
  tag?: string;
  limit?: number;
  offset?: number;
}

function listOf<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  return z.union([z.array(item), z.object({ items: z.array(item) }).transform((v) => v.items)]) as z.ZodType<T[]>;
}
function oneOf<T>(item: z.ZodType<T>, key: string): z.ZodType<T> {
  return z.union([item, z.object({ [key]: item }).transform((v) => v[key] as T)]) as z.ZodType<T>;
}
const nothing = z.unknown().transform(() => undefined);
const allowlistAnswer = z.union([z.array(z.string()), z.object({ values: z.array(z.string()) }).transform((v) => v.values)]);

export function createIntelApi(deps: { fetch: FetchFn; onUnauthenticated(): void; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? 20_000;
  async function call<T>(method: string, url: string, schema: z.ZodType<T>, body?: unknown): Promise<Result<T, ApiFailure>> {
    const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await requestJson(deps.fetch, url, { ...init, cache: 'no-store' }, schema, timeoutMs);
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  const enc = encodeURIComponent;
  return {
    lookup: (value: string) =>
      call(
        'GET',
        `/api/v1/indicators/lookup?value=${enc(value)}`,
        lookupResponse.transform((v) => v.items),
      ),
    bulkLookup: (values: string[]) =>
      call(
        'POST',
        '/api/v1/indicators/lookup',
        lookupResponse.transform((v) => v.items),
        { values },
      ),
    search(filter: SearchFilter) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
      return call('GET', `/api/v1/indicators?${q.toString()}`, searchAnswer);
    },
    indicator: (id: number) => call('GET', `/api/v1/indicators/${id}`, oneOf(indicatorDetailSchema, 'indicator')),
    snapshot: () => call('GET', '/api/v1/indicators/snapshot', snapshotResponse),
    incidentMatches: (incidentId: string) =>
      call(
        'GET',
        `/api/v1/incidents/${enc(incidentId)}/intel-matches`,
        intelMatchesResponse.transform((v) => v.items),
      ),
    feeds: () => call('GET', '/api/v1/feeds', listOf(feedSchema)),
    feed: (id: string) => call('GET', `/api/v1/feeds/${enc(id)}`, oneOf(feedSchema, 'feed')),
    createFeed: (body: FeedBody) => call('POST', '/api/v1/feeds', oneOf(feedSchema, 'feed'), body),
    patchFeed: (id: string, patch: Partial<FeedBody>) => call('PATCH', `/api/v1/feeds/${enc(id)}`, oneOf(feedSchema, 'feed'), patch),
    deleteFeed: (id: string) => call('DELETE', `/api/v1/feeds/${enc(id)}`, nothing),
    /** Pull now; the answer (the queued run) is not needed: the runs list shows it. */
    runFeed: (id: string) => call('POST', `/api/v1/feeds/${enc(id)}/run`, nothing, {}),
    feedRuns: (id: string) => call('GET', `/api/v1/feeds/${enc(id)}/runs`, listOf(feedRunSchema)),
    decayModels: () => call('GET', '/api/v1/intel/decay-models', listOf(decayModelSchema)),
    putDecayModels: (items: DecayModel[]) => call('PUT', '/api/v1/intel/decay-models', nothing, { items }),
    allowlist: () => call('GET', '/api/v1/intel/allowlist', allowlistAnswer),
    putAllowlist: (values: string[]) => call('PUT', '/api/v1/intel/allowlist', nothing, { values }),
  };
}

export type IntelApi = ReturnType<typeof createIntelApi>;

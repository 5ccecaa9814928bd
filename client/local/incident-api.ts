/**
 * The server's incident and alert API as the UI reads it: custom field definitions per category
 * (GET /api/v1/templates), the priority queue, recent alerts and one alert. Answers are parsed
 * leniently (unknown fields ignored, snake_case as the API sends it); a 401 calls
 * `onUnauthenticated`. Failures are values (see http-json.ts).
 */
import { z } from 'zod';
import { SEVERITIES } from '../../shared/incident-schema.ts';
import { metricsResponse } from '../../shared/incidents-api.ts';
import type { Result } from '../../shared/result.ts';
import { isUnauthenticated, requestJson, type ApiFailure, type FetchFn } from './http-json.ts';

const customFieldDefinitionSchema = z.object({
  name: z.string().min(1).max(200),
  label: z.string().max(200).optional(),
  type: z.enum(['string', 'number', 'boolean', 'date', 'select']).catch('string'),
  options: z.array(z.string().max(200)).max(200).optional(),
  required: z.boolean().optional(),
});
export type CustomFieldDefinition = z.infer<typeof customFieldDefinitionSchema>;

const categoryFieldsResponse = z.object({ category: z.string(), fields: z.array(customFieldDefinitionSchema) });

/** GET /api/v1/templates: `{ custom_fields: { category: [...] } }` or templates carrying `fields`. */
const templatesResponse = z
  .object({
    custom_fields: z.record(z.string(), z.array(customFieldDefinitionSchema)).optional(),
    fields: z.record(z.string(), z.array(customFieldDefinitionSchema)).optional(),
    templates: z
      .array(
        z
          .object({
            id: z.string(),
            category: z.string().optional(),
            fields: z.array(customFieldDefinitionSchema).optional(),
            custom_fields: z.array(customFieldDefinitionSchema).optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose()
  .transform((v) => {
    const out: Record<string, CustomFieldDefinition[]> = { ...(v.fields ?? {}), ...(v.custom_fields ?? {}) };
    for (const t of v.templates ?? []) {
      const defs = t.custom_fields ?? t.fields;
      if (t.category && defs?.length && !out[t.category]) out[t.category] = defs;
    }
    return out;
  });

const nullableString = z
  .string()
  .nullable()
  .optional()
  .transform((v) => v ?? null);

const queueItemSchema = z
  .object({
    id: z.uuid(),
    key: nullableString,
    title: z.string().catch('(untitled)'),
    status: z.string().catch('new'),
    severity: z.enum(SEVERITIES).catch('S3'),
    priority_score: z.number().optional(),
    score: z.number().optional(),
    explanation: z.union([z.string(), z.array(z.unknown())]).optional(),
    priority_explanation: z.union([z.string(), z.array(z.unknown())]).optional(),
  })
  .loose();
export type QueueItem = z.infer<typeof queueItemSchema>;

const queueResponse = z.union([
  z.array(queueItemSchema),
  z
    .object({ items: z.array(queueItemSchema) })
    .loose()
    .transform((v) => v.items),
]);

export const alertSchema = z
  .object({
    id: z.string(),
    source: z.string().catch(''),
    type: z.string().catch(''),
    title: z.string().catch(''),
    description: z.string().nullable().optional(),
    status: z.string().optional(),
    severity: z.string().nullable().optional(),
    score: z.number().nullable().optional(),
    count: z.number().optional(),
    dedup_count: z.number().optional(),
    incident_id: z.string().nullable().optional(),
    incident_key: z.string().nullable().optional(),
    observed_at: z.string().nullable().optional(),
    detected_at: z.string().nullable().optional(),
    received_at: z.string().nullable().optional(),
    last_seen: z.string().nullable().optional(),
    format: z.string().optional(),
    normalized: z.unknown().optional(),
    raw: z.unknown().optional(),
    risk: z.unknown().optional(),
    factors: z.unknown().optional(),
  })
  .loose();
export type AlertItem = z.infer<typeof alertSchema>;

const alertListResponse = z.union([
  z.array(alertSchema).transform((items) => ({ items, next: null as string | null, total: null as number | null })),
  z
    .object({
      items: z.array(alertSchema),
      next_before: z.string().nullable().optional(),
      next_cursor: z.string().nullable().optional(),
      total: z.number().nullable().optional(),
    })
    .loose()
    .transform((v) => ({ items: v.items, next: v.next_before ?? v.next_cursor ?? null, total: v.total ?? null })),
  z
    .object({ alerts: z.array(alertSchema), next_cursor: z.string().nullable().optional(), total: z.number().nullable().optional() })
    .loose()
    .transform((v) => ({ items: v.alerts, next: v.next_cursor ?? null, total: v.total ?? null })),
]);

const alertDetailResponse = z.union([
  z
    .object({ alert: alertSchema })
    .loose()
    .transform((v) => v.alert),
  alertSchema,
]);

/** GET /api/v1/alerts filters (the server refuses unknown ones); `before` is the page cursor. */
export interface AlertFilter {
  source?: string;
  status?: string;
  incident_id?: string;
  before?: string;
  limit?: number;
}

export function createIncidentApi(deps: { fetch: FetchFn; onUnauthenticated(): void; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? 15_000;
  async function get<T>(url: string, schema: z.ZodType<T>): Promise<Result<T, ApiFailure>> {
    const res = await requestJson(deps.fetch, url, { method: 'GET', cache: 'no-store' }, schema, timeoutMs);
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  async function put<T>(url: string, body: unknown, schema: z.ZodType<T>): Promise<Result<T, ApiFailure>> {
    const res = await requestJson(
      deps.fetch,
      url,
      { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      schema,
      timeoutMs,
    );
    if (!res.ok && isUnauthenticated(res.error)) deps.onUnauthenticated();
    return res;
  }
  const fieldsUrl = (category: string): string => `/api/v1/templates/${encodeURIComponent(category)}/fields`;
  return {
    customFieldDefinitions: () => get('/api/v1/templates', templatesResponse),
    /** A category's custom field definitions (GET), and a lead's replacement of them (PUT). */
    fieldDefinitions: (category: string) => get(fieldsUrl(category), categoryFieldsResponse),
    saveFieldDefinitions: (category: string, fields: readonly CustomFieldDefinition[]) => put(fieldsUrl(category), { fields }, categoryFieldsResponse),
    priorityQueue: (limit = 200) => get(`/api/v1/incidents/priority-queue?limit=${limit}`, queueResponse),
    alerts(filter: AlertFilter) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') q.set(k, String(v));
      return get(`/api/v1/alerts?${q.toString()}`, alertListResponse);
    },
    alert: (id: string) => get(`/api/v1/alerts/${encodeURIComponent(id)}`, alertDetailResponse),
    metrics: (range: { from: string; to: string }) => get(`/api/v1/metrics?${new URLSearchParams(range).toString()}`, metricsResponse),
  };
}

export type IncidentApi = ReturnType<typeof createIncidentApi>;

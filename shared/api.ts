/**
 * The zod schemas of the HTTP API, shared so the client parses exactly what the server sends.
 * Query strings arrive as strings; the schemas coerce and bound them.
 */
import { z } from 'zod';
import { SEVERITIES, PRIORITIES, CATEGORIES, TLPS, incidentMetaSchema, timelineEntrySchema, taskSchema, riskSchema } from './incident-schema.ts';
import { CLOCK_STATES } from './sla.ts';
import { STATUSES, PHASES } from './workflow.ts';
import { RESOLUTIONS } from './incident-schema.ts';

/** Comma-separated list in a query string → validated array. */
const csvOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .max(200)
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

const INCIDENT_SORTS = ['updated_at', 'created_at', 'severity', 'priority', 'key', 'title', 'status', 'priority_score'] as const;

/** GET /api/v1/incidents query. */
export const listIncidentsQuery = z
  .object({
    status: csvOf(STATUSES).optional(),
    severity: csvOf(SEVERITIES).optional(),
    /** Free text over key, title, description, tags, assets. */
    q: z.string().max(200).optional(),
    sort: z.enum(INCIDENT_SORTS).default('updated_at'),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type ListIncidentsQuery = z.infer<typeof listIncidentsQuery>;

/** One incident as the REST API returns it (a projection row; snake_case on the wire). */
export const incidentSummarySchema = z.object({
  id: z.uuid(),
  key: z.string().nullable(),
  title: z.string(),
  description: z.string(),
  status: z.enum(STATUSES),
  phase: z.enum(PHASES),
  severity: z.enum(SEVERITIES),
  priority: z.enum(PRIORITIES),
  category: z.enum(CATEGORIES),
  tlp: z.enum(TLPS),
  assigned_to: z.string().nullable(),
  reported_by: z.string().nullable(),
  created_by: z.string(),
  tags: z.array(z.string()),
  affected_assets: z.array(z.string()),
  observables: incidentMetaSchema.shape.observables,
  custom_fields: incidentMetaSchema.shape.customFields,
  created_at: z.string(),
  updated_at: z.string(),
  occurred_at: z.string().nullable(),
  detected_at: z.string().nullable(),
  reported_at: z.string().nullable(),
  contained_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  closed_at: z.string().nullable(),
  open_tasks: z.number().int(),
  total_tasks: z.number().int(),
  timeline_count: z.number().int(),
  related_incidents: z.array(z.uuid()),
  template_id: z.string().nullable(),
  /** How the incident was classified when closed (null while open). */
  resolution: z.enum(RESOLUTIONS).nullable(),
  /** The closing's one-line summary (null while open). */
  closing_summary: z.string().nullable(),
  /** The risk score (from alerts) that explains the severity, or null. */
  risk: riskSchema.nullable(),
  /** A personal-data breach and its notification deadline (shared/sla.ts), or null. */
  breach: z.object({ regulation: z.string(), aware_at: z.string(), notification_due: z.string().nullable() }).nullable(),
  /** SLA clocks at the time of the response (shared/sla.ts `slaFor`). */
  sla: z.object({
    response_due: z.string(),
    response_state: z.enum(CLOCK_STATES),
    resolution_due: z.string(),
    resolution_state: z.enum(CLOCK_STATES),
    minutes_left: z.number().int().nullable(),
    breach_notification_due: z.string().nullable(),
    breach_state: z.enum(CLOCK_STATES).nullable(),
    state: z.enum(CLOCK_STATES),
  }),
  /** shared/priority.ts score (0-100) as last projected, with its factors. */
  priority_score: z.number().int(),
  priority_factors: z.array(z.object({ factor: z.string(), points: z.number(), detail: z.string() })),
});
export type IncidentSummary = z.infer<typeof incidentSummarySchema>;

export const listIncidentsResponse = z.object({
  items: z.array(incidentSummarySchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Counts per status over the same filter without the status filter (for the list's tabs). */
  counts: z.record(z.string(), z.number().int()),
});

/** GET /api/v1/incidents/{id}/timeline query: soft-deleted entries are left out unless asked for. */
export const timelineQuery = z
  .object({
    include_deleted: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

/** Path parameter of /api/v1/incidents/{id}. */
export const incidentIdParam = z.object({ id: z.uuid().transform((s) => s.toLowerCase()) });

export const timelineResponse = z.object({
  items: z.array(timelineEntrySchema),
});

export const incidentDetailResponse = incidentSummarySchema.extend({
  tasks: z.array(taskSchema),
});

// ---- Background sync (one batched HTTP exchange for every document not on screen) ----

/** Base64 of a Yjs binary (state vector or update). Bounded so one request stays small. */
const b64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const SYNC_BATCH_MAX_DOCS = 200;

/**
 * POST /api/v1/sync/batch. For each document: the device's state vector and, optionally,
 * an update with what the device believes the server lacks (encodeStateAsUpdate against the
 * last server state vector it saw). The server applies the update, then answers with what
 * the device lacks and the server's state vector after the merge.
 */
export const syncBatchRequest = z
  .object({
    docs: z
      .array(
        z
          .object({
            id: z.uuid(),
            state_vector: b64,
            update: b64.optional(),
          })
          .strict(),
      )
      .max(SYNC_BATCH_MAX_DOCS),
  })
  .strict();
export type SyncBatchRequest = z.infer<typeof syncBatchRequest>;

export const syncBatchResponse = z.object({
  docs: z.array(
    z.object({
      id: z.uuid(),
      /** What the device lacks (a Yjs update; may be an empty update). */
      update: z.string(),
      /** The server's state vector after applying the device's update. */
      state_vector: z.string(),
    }),
  ),
  /** Per-document refusals; the other documents in the batch are unaffected. */
  errors: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
});
export type SyncBatchResponse = z.infer<typeof syncBatchResponse>;

/**
 * GET /api/v1/sync/changes?since=<cursor>&limit=<n>: which documents changed on the server
 * after a cursor, so a device learns of incidents it has never seen (created elsewhere).
 */
export const syncChangesQuery = z
  .object({
    since: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();

export const syncChangesResponse = z.object({
  changes: z.array(z.object({ id: z.uuid(), seq: z.number().int() })),
  /** Pass as `since` next time. */
  cursor: z.number().int(),
  more: z.boolean(),
});
export type SyncChangesResponse = z.infer<typeof syncChangesResponse>;

/** Websocket close codes used by /sync/<id> (4400-4499: refused for good, do not retry). */
export const SYNC_CLOSE = {
  /** The document id in the path is not a UUID. */
  badDocumentId: { code: 4400, reason: 'invalid document id' },
  /** A message did not decode as y-websocket protocol. */
  malformedMessage: { code: 4401, reason: 'malformed message' },
  /** A message exceeded the size cap. */
  messageTooLarge: { code: 4402, reason: 'message too large' },
  /** Not authenticated (session expired): log in again. */
  unauthenticated: { code: 4403, reason: 'log in again' },
  /** Authenticated but no access to this incident. */
  forbidden: { code: 4404, reason: 'no access to this incident' },
  /** An update added more timeline entries than one update (or the incident) may. */
  tooManyEntries: { code: 4413, reason: 'update adds too many entries' },
  /** The server cannot store updates now (the database is slow or away): reconnect later; nothing is lost, the device keeps its edits. */
  tryAgainLater: { code: 1013, reason: 'server cannot store updates now' },
  /** The server is shutting down; reconnect later (not in the refuse-for-good range). */
  shuttingDown: { code: 1012, reason: 'server restarting' },
} as const;

/**
 * The zod schemas of the incident write API, the triage queue and the metrics (snake_case on the
 * wire), shared so the client and integrations parse exactly what the server accepts and sends.
 */
import { z } from 'zod';
import { CATEGORIES, LIMITS, PRIORITIES, SEVERITIES, TIMELINE_KINDS, TLPS, isoDateTime, observableSchema } from './incident-schema.ts';
import { incidentSummarySchema } from './api.ts';
import { freeFormObject } from './json-depth.ts';
import { CLOSING_SUMMARY_MAX, CORRECTABLE_MILESTONES, RESOLUTIONS } from './incident-schema.ts';
import { CUSTOM_FIELD_TYPES, TEMPLATE_IDS } from './templates.ts';
import { STATUSES } from './workflow.ts';

const shortText = z.string().trim().min(1).max(LIMITS.shortText);
const customFieldValue = z.union([z.string().max(2_000), z.number(), z.boolean(), z.null()]);
const customFields = z.record(z.string().min(1).max(60), customFieldValue);

/** A breach as the API takes it (the regulation must be one the SLA policy knows: 422 otherwise). */
const breachInput = z.object({ regulation: z.string().min(1).max(40), aware_at: isoDateTime }).strict();

/** POST /api/v1/incidents. A `template` pre-fills category, severity, tags and the checklist. */
export const createIncidentRequest = z
  .object({
    template: z.enum(TEMPLATE_IDS).optional(),
    title: z.string().trim().min(1).max(LIMITS.title),
    description: z.string().max(LIMITS.description).optional(),
    category: z.enum(CATEGORIES).optional(),
    severity: z.enum(SEVERITIES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    tlp: z.enum(TLPS).optional(),
    assigned_to: shortText.nullable().optional(),
    occurred_at: isoDateTime.nullable().optional(),
    detected_at: isoDateTime.nullable().optional(),
    tags: z.array(shortText).max(LIMITS.tags).optional(),
    affected_assets: z.array(shortText).max(LIMITS.assets).optional(),
    observables: z.array(observableSchema).max(LIMITS.observables).optional(),
    custom_fields: customFields.optional(),
    breach: breachInput.nullable().optional(),
  })
  .strict();
export type CreateIncidentRequest = z.infer<typeof createIncidentRequest>;

const addRemove = <T extends z.ZodType>(item: T) => z.object({ add: z.array(item).max(500).optional(), remove: z.array(item).max(500).optional() }).strict();

/** PATCH /api/v1/incidents/{id}: every key optional, at least one. Written into the document. */
export const patchIncidentRequest = z
  .object({
    title: z.string().trim().min(1).max(LIMITS.title).optional(),
    description: z.string().max(LIMITS.description).optional(),
    category: z.enum(CATEGORIES).optional(),
    severity: z.enum(SEVERITIES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    tlp: z.enum(TLPS).optional(),
    assigned_to: shortText.nullable().optional(),
    reported_by: shortText.nullable().optional(),
    occurred_at: isoDateTime.nullable().optional(),
    detected_at: isoDateTime.nullable().optional(),
    reported_at: isoDateTime.nullable().optional(),
    /** Moves through the shared workflow; a refused transition is 409 naming the allowed ones. */
    status: z.enum(STATUSES).optional(),
    status_reason: z.string().max(2_000).optional(),
    /** Required with `status: closed` (400 naming the field when missing): how the incident ends. */
    resolution: z.enum(RESOLUTIONS).optional(),
    /** Required with `status: closed`: one line that says how it ended (line breaks become spaces). */
    closing_summary: z.string().max(CLOSING_SUMMARY_MAX).optional(),
    tags: addRemove(shortText).optional(),
    affected_assets: addRemove(shortText).optional(),
    observables: z
      .object({
        add: z.array(observableSchema).max(500).optional(),
        remove: z
          .array(observableSchema.pick({ kind: true, value: true }))
          .max(500)
          .optional(),
      })
      .strict()
      .optional(),
    related_incidents: addRemove(z.uuid().transform((s) => s.toLowerCase())).optional(),
    custom_fields: customFields.optional(),
    breach: breachInput.nullable().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type PatchIncidentRequest = z.infer<typeof patchIncidentRequest>;

/** POST /api/v1/incidents/{id}/events: a timeline entry (workflow kinds are written by PATCH). */
const EVENT_KINDS = TIMELINE_KINDS.filter((k) => k !== 'status_change' && k !== 'field_change') as [
  (typeof TIMELINE_KINDS)[number],
  ...(typeof TIMELINE_KINDS)[number][],
];
export const createEventRequest = z
  .object({
    kind: z.enum(EVENT_KINDS).default('note'),
    text: z.string().max(LIMITS.noteText),
    at: isoDateTime.optional(),
    data: freeFormObject().nullable().optional(),
  })
  .strict();
export const createEventResponse = z.object({ id: z.string() });

export const relatedParams = z.object({ id: z.uuid().transform((s) => s.toLowerCase()), other: z.uuid().transform((s) => s.toLowerCase()) });

/** GET /api/v1/incidents/priority-queue */
export const priorityQueueQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict();
export const priorityQueueResponse = z.object({
  items: z.array(incidentSummarySchema.extend({ priority_explanation: z.string() })),
});

/** GET /api/v1/metrics?from=&to= (incidents created in [from, to); default: the last 30 days). */
export const metricsQuery = z.object({ from: isoDateTime.optional(), to: isoDateTime.optional() }).strict();
const durationStats = z.object({ n: z.number().int(), mean_minutes: z.number().nullable(), median_minutes: z.number().nullable() });
export const metricsResponse = z.object({
  from: z.string(),
  to: z.string(),
  incidents: z.number().int(),
  /** Detected − occurred (incidents with both). */
  mttd: durationStats,
  /** MTTC, time to contain: contained − detected (or created when undetected), with corrected times. */
  mttc: durationStats,
  /** Deprecated alias of `mttc` (the time to contain is not a time to resolve); kept for old clients. */
  mttr_containment: durationStats.meta({ deprecated: true }),
  /** Resolved − detected (or created when undetected). */
  mttr_resolution: durationStats,
  by_status: z.record(z.string(), z.number().int()),
  by_severity: z.record(z.string(), z.number().int()),
  by_category: z.record(z.string(), z.number().int()),
});
export type MetricsResponse = z.infer<typeof metricsResponse>;

/** GET /api/v1/templates: the templates and the custom field definitions per category. */
const customFieldDefOut = z.object({
  name: z.string(),
  label: z.string().optional(),
  type: z.enum(CUSTOM_FIELD_TYPES),
  options: z.array(z.string()).optional(),
  required: z.boolean(),
});
export const templatesResponse = z.object({
  templates: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      category: z.enum(CATEGORIES),
      severity: z.enum(SEVERITIES),
      tags: z.array(z.string()),
      tasks: z.array(z.string()),
    }),
  ),
  custom_fields: z.record(z.string(), z.array(customFieldDefOut)),
});
export const customFieldsResponse = z.object({ category: z.enum(CATEGORIES), fields: z.array(customFieldDefOut) });

/**
 * POST /api/v1/incidents/{id}/milestones: a lead corrects a workflow-stamped time (contained,
 * resolved) with a reason; recorded in the timeline as a field change naming both values.
 */
export const correctMilestoneRequest = z
  .object({
    field: z.enum(['contained_at', 'resolved_at']),
    at: isoDateTime,
    reason: z.string().trim().min(1).max(CLOSING_SUMMARY_MAX),
  })
  .strict();
/** The API name of each correctable document field. */
export const MILESTONE_FIELDS = { contained_at: CORRECTABLE_MILESTONES[0], resolved_at: CORRECTABLE_MILESTONES[1] } as const;

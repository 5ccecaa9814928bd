/**
 * The plain-object shape of an incident as read from its Yjs document, validated with zod.
 * Reading is lenient where it must be (an old or hostile client may have written junk):
 * see `readIncident` in incident-doc.ts, which repairs field by field instead of failing whole.
 */
import { z } from 'zod';
import { STATUSES } from './workflow.ts';

export const SEVERITIES = ['S1', 'S2', 'S3', 'S4', 'S5'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_LABELS = {
  S1: 'S1 Critical',
  S2: 'S2 High',
  S3: 'S3 Medium',
  S4: 'S4 Low',
  S5: 'S5 Informational',
} as const satisfies Record<Severity, string>;

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLPS)[number];

export const CATEGORIES = [
  'unclassified',
  'malware',
  'ransomware',
  'phishing',
  'business_email_compromise',
  'account_compromise',
  'ddos',
  'data_exfiltration',
  'insider',
  'lost_device',
  'vulnerability',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const OBSERVABLE_KINDS = ['ip', 'domain', 'url', 'hash', 'email', 'account', 'host', 'file', 'other'] as const;
export type ObservableKind = (typeof OBSERVABLE_KINDS)[number];

export const TIMELINE_KINDS = ['note', 'status_change', 'field_change', 'alert', 'automation', 'evidence', 'chat', 'system'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Limits that keep one document from exhausting a device or the server. */
export const LIMITS = {
  title: 300,
  description: 20_000,
  shortText: 200,
  noteText: 100_000,
  tags: 100,
  assets: 500,
  observables: 2_000,
  /** Evidence items linked to one timeline entry. */
  evidenceLinks: 100,
} as const;

/** How a closed incident was classified (closing requires one, with a one-line summary). */
export const RESOLUTIONS = ['true_positive', 'benign_true_positive', 'false_positive', 'duplicate'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RESOLUTION_LABELS = {
  true_positive: 'True positive',
  benign_true_positive: 'Benign true positive',
  false_positive: 'False positive',
  duplicate: 'Duplicate',
} as const satisfies Record<Resolution, string>;
/** The longest closing summary (one line). */
export const CLOSING_SUMMARY_MAX = 500;

/** Workflow-stamped times a lead may correct (with a reason, recorded in the timeline). */
export const CORRECTABLE_MILESTONES = ['containedAt', 'resolvedAt'] as const;
export type CorrectableMilestone = (typeof CORRECTABLE_MILESTONES)[number];

/** ISO-8601 date-time string (UTC, with or without milliseconds). */
export const isoDateTime = z.iso.datetime({ offset: true });

export const observableSchema = z.object({
  kind: z.enum(OBSERVABLE_KINDS),
  value: z.string().min(1).max(2_048),
  note: z.string().max(LIMITS.shortText).optional(),
});
export type Observable = z.infer<typeof observableSchema>;

/** A factor of the risk score: what it was, how much it added (points), and why. */
const riskFactorSchema = z.object({
  factor: z.string().max(60),
  points: z.number(),
  detail: z.string().max(500),
});

/** The risk score (0-100) that set the incident's severity, with its explanation. */
export const riskSchema = z.object({
  score: z.number().min(0).max(100),
  severity: z.enum(SEVERITIES),
  factors: z.array(riskFactorSchema).max(50),
  /** Version of the scoring rules that produced it. */
  model: z.string().max(40),
});
export type Risk = z.infer<typeof riskSchema>;

/** A personal-data breach: the notification clock runs from `awareAt` under `regulation`. */
export const breachSchema = z.object({
  regulation: z.string().min(1).max(40),
  awareAt: isoDateTime,
});
export type Breach = z.infer<typeof breachSchema>;

export const incidentMetaSchema = z.object({
  id: z.uuid(),
  /** Human key (IR-2026-0042); null until the server has assigned it. */
  key: z.string().nullable(),
  title: z.string().max(LIMITS.title),
  description: z.string().max(LIMITS.description),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  priority: z.enum(PRIORITIES),
  status: z.enum(STATUSES),
  tlp: z.enum(TLPS),
  assignee: z.string().max(LIMITS.shortText).nullable(),
  reporter: z.string().max(LIMITS.shortText).nullable(),
  tags: z.array(z.string().max(LIMITS.shortText)),
  assets: z.array(z.string().max(LIMITS.shortText)),
  observables: z.array(observableSchema),
  customFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** Linked incidents (ids); the link is written into both documents. */
  relatedIncidents: z.array(z.uuid()),
  /** The template the incident was created from (e.g. `ransomware`), if any. */
  templateId: z.string().max(60).nullable(),
  risk: riskSchema.nullable(),
  breach: breachSchema.nullable(),
  createdAt: isoDateTime,
  createdBy: z.string().max(LIMITS.shortText),
  updatedAt: isoDateTime,
  occurredAt: isoDateTime.nullable(),
  detectedAt: isoDateTime.nullable(),
  reportedAt: isoDateTime.nullable(),
  containedAt: isoDateTime.nullable(),
  resolvedAt: isoDateTime.nullable(),
  closedAt: isoDateTime.nullable(),
  /** The classification of the last closing, and its one-line summary (null until closed once). */
  resolution: z.enum(RESOLUTIONS).nullable().optional(),
  closingSummary: z.string().max(CLOSING_SUMMARY_MAX).nullable().optional(),
});
export type IncidentMeta = z.infer<typeof incidentMetaSchema>;

export const timelineEntrySchema = z.object({
  id: z.string().min(1).max(64),
  /** When the event happened (may be before it was written down). */
  at: isoDateTime,
  /** When the entry was written. */
  createdAt: isoDateTime,
  author: z.string().max(LIMITS.shortText),
  kind: z.enum(TIMELINE_KINDS),
  text: z.string().max(LIMITS.noteText),
  /** Structured data for machine-written entries (status change from/to, alert id, ...). */
  data: z.record(z.string(), z.unknown()).nullable(),
  deleted: z.boolean(),
  editedAt: isoDateTime.nullable(),
  /** Who last changed the entry (its text, time or deletion); null before anyone did. */
  editedBy: z.string().max(LIMITS.shortText).nullable().default(null),
  /** Who deleted it and when (null while not deleted). */
  deletedBy: z.string().max(LIMITS.shortText).nullable().default(null),
  deletedAt: isoDateTime.nullable().default(null),
  /** Evidence items (ids) linked to this entry, sorted; anyone who may write links and unlinks them. */
  evidence: z.array(z.string().min(1).max(64)).max(LIMITS.evidenceLinks).default([]),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const taskSchema = z.object({
  id: z.string().min(1).max(64),
  title: z.string().max(LIMITS.shortText * 2),
  done: z.boolean(),
  doneBy: z.string().max(LIMITS.shortText).nullable(),
  doneAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  deleted: z.boolean(),
});
export type Task = z.infer<typeof taskSchema>;

/** Kinds of action item (an improvement recommendation from the post-incident review). */
export const ACTION_ITEM_TYPES = ['prevent', 'detect', 'respond', 'process'] as const;
/** An action item is never removed: it is `dropped`. */
export const ACTION_ITEM_STATUSES = ['open', 'in_progress', 'done', 'dropped'] as const;

/** Limits of the post-incident review (one text field, the items of one list, the action items). */
export const REVIEW_LIMITS = { text: 20_000, itemText: 2_000, items: 50, actionItems: 500 } as const;

/** A due date (YYYY-MM-DD, a calendar day that exists, from year 1: Postgres has no year 0). */
export const dueDate = z.iso.date().refine((s) => Number(s.slice(0, 4)) >= 1, 'a date from year 1');

export const actionItemSchema = z.object({
  id: z.uuid(),
  title: z
    .string()
    .min(1)
    .max(LIMITS.shortText * 2),
  owner: z.string().max(LIMITS.shortText).nullable(),
  due: dueDate.nullable(),
  type: z.enum(ACTION_ITEM_TYPES),
  status: z.enum(ACTION_ITEM_STATUSES),
  createdAt: isoDateTime,
  createdBy: z.string().max(LIMITS.shortText),
  updatedAt: isoDateTime,
});
export type ActionItem = z.infer<typeof actionItemSchema>;

/** One item of an ordered review list (a "why" of the five whys, a decision); `deleted` instead of removal. */
const reviewItemSchema = z.object({
  id: z.string().min(1).max(64),
  text: z.string().max(REVIEW_LIMITS.itemText),
  by: z.string().max(LIMITS.shortText).nullable(),
  at: isoDateTime.nullable(),
  deleted: z.boolean(),
});
export type ReviewItem = z.infer<typeof reviewItemSchema>;

const reviewText = z.string().max(REVIEW_LIMITS.text);

/**
 * The post-incident review as read from the document. Every text is co-edited (a Y.Text);
 * `fiveWhys` and `decisions` are ordered lists whose items are marked deleted, never removed.
 */
const reviewSchema = z.object({
  summary: reviewText,
  impact: z.object({ what: reviewText, who: reviewText, duration: reviewText, data: reviewText, regulatory: reviewText }),
  detection: z.object({ how: reviewText, when: reviewText, late: z.boolean().nullable(), lateWhy: reviewText }),
  rootCause: reviewText,
  contributingFactors: reviewText,
  fiveWhys: z.array(reviewItemSchema),
  wentWell: reviewText,
  wentWrong: reviewText,
  lucky: reviewText,
  decisions: z.array(reviewItemSchema),
  /** The lead who signed the review off, and when (null until signed). */
  signedOffBy: z.string().max(LIMITS.shortText).nullable(),
  signedOffAt: isoDateTime.nullable(),
  updatedAt: isoDateTime.nullable(),
  updatedBy: z.string().max(LIMITS.shortText).nullable(),
});
export type Review = z.infer<typeof reviewSchema>;

const incidentSchema = z.object({
  meta: incidentMetaSchema,
  timeline: z.array(timelineEntrySchema),
  tasks: z.array(taskSchema),
  review: reviewSchema,
  actionItems: z.array(actionItemSchema),
});
export type Incident = z.infer<typeof incidentSchema>;

/** Fields a user may set directly (status goes through the workflow instead). */
export const editableFieldsSchema = incidentMetaSchema
  .pick({
    title: true,
    description: true,
    category: true,
    severity: true,
    priority: true,
    tlp: true,
    assignee: true,
    reporter: true,
    occurredAt: true,
    detectedAt: true,
    reportedAt: true,
  })
  .partial();
export type EditableFields = z.infer<typeof editableFieldsSchema>;

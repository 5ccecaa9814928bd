/**
 * What each kind of timeline entry carries in its `data`: one zod schema per kind, a union keyed
 * by kind. Writers go through `addTimelineEntry` (shared/incident-doc.ts), whose `NewEntry` is
 * typed by this union and which validates the payload before writing; readers call
 * `readPayload`, which parses defensively — an entry whose payload does not parse (an older
 * writer, a hostile device) is shown as a plain entry with a warning, never dropped.
 *
 * A new kind of entry (chat promoted to the timeline, a notification sent, a post-mortem
 * decision, an ATT&CK mapping, an imported forensic event) adds its kind to TIMELINE_KINDS, its
 * schema here, and its component beside client/components/incident/timeline.tsx.
 *
 * Schemas are loose (unknown keys are kept): a newer writer's extra fields survive an older
 * reader, and API clients may attach their own fields to automation entries.
 */
import { z } from 'zod';
import { RESOLUTIONS, type TimelineEntry, type TimelineKind } from './incident-schema.ts';

const id = z.string().min(1).max(64);
const short = z.string().max(200);
const iso = z.string().max(40);

/** An alert that opened or joined the incident (server/alerts). `count`: times seen (grows in place). */
const alertPayload = z.looseObject({
  alert_id: id,
  source: short.optional(),
  type: short.nullable().optional(),
  score: z.number().finite().optional(),
  observed_at: iso.nullable().optional(),
  count: z.number().int().positive().optional(),
});

/** An evidence item added to the incident (server/evidence). */
const evidencePayload = z.looseObject({
  evidence_id: id,
  file_name: z.string().max(1_000).optional(),
  sha256: z.string().max(128).optional(),
  type: short.optional(),
  size: z.number().nonnegative().optional(),
});

/** A workflow step (shared/workflow.ts); closing names its resolution. */
const statusChangePayload = z.looseObject({
  from: z.string().max(40).nullable(),
  to: z.string().max(40),
  resolution: z.enum(RESOLUTIONS).optional(),
});

/**
 * A field set by someone (`from` → `to`), a lead's correction of a stamped time (`correction`,
 * `reason`), a corrected event time of an entry (`field: entry_time`, `entry_id`).
 */
const fieldChangePayload = z.looseObject({
  field: short,
  from: z.unknown(),
  to: z.unknown(),
  reason: z.string().max(2_000).optional(),
  correction: z.boolean().optional(),
  entry_id: id.optional(),
});

/** One state of a playbook run or step, as its entry keeps it (recordRunChanges). */
const runStepState = z.looseObject({
  step_id: z.string().max(200).nullable(),
  item: z.number().int().optional(),
  state: z.string().max(40),
  text: z.string(),
  at: iso,
  since: iso.optional(),
  history: z.array(z.looseObject({ state: z.string().max(40), text: z.string(), at: iso })).optional(),
});

/**
 * Automation: a playbook run (one entry updated in place: `run`, `steps`), an entry a playbook
 * step added (`run_id`, `step_id`), or an integration's own entry through the API (any fields).
 */
const automationPayload = z.looseObject({
  run_id: id.optional(),
  step_id: z.string().max(200).optional(),
  playbook_id: z.string().max(200).nullable().optional(),
  dry_run: z.boolean().optional(),
  run: runStepState.optional(),
  steps: z.array(runStepState).optional(),
});

/** A threat-intel match (server/intel/matching.ts). */
const intelMatchPayload = z.looseObject({
  intel_match: z.looseObject({
    indicator_id: z.union([z.string().max(64), z.number()]),
    type: short,
    value: z.string().max(2_100),
    observable: z.unknown(),
    score: z.number().finite(),
    sources: z.array(z.string().max(200)).max(100),
    how: z.string().max(200).optional(),
    alert_id: id.nullable().optional(),
  }),
});

/** What the server wrote back after an update broke the document's rules (shared/incident-guard.ts). */
const guardCorrectionPayload = z.looseObject({
  correction: z.looseObject({
    summary: z.string().max(2_000),
    restoredEntries: z.number().int().nonnegative(),
    restoredTasks: z.number().int().nonnegative(),
    restoredFields: z.number().int().nonnegative(),
    restampedAuthors: z.number().int().nonnegative().optional(),
    by: short,
  }),
});

/** System entries: the incident opened (no data), an intel match, a guard's correction. */
const systemPayload = z.union([intelMatchPayload, guardCorrectionPayload]).nullable();

/** People's entries carry no machine data (an API client may attach some; it is kept, not read). */
const humanPayload = z.record(z.string(), z.unknown()).nullable();

export const PAYLOAD_SCHEMAS = {
  note: humanPayload,
  chat: humanPayload,
  alert: alertPayload,
  evidence: evidencePayload,
  status_change: statusChangePayload,
  field_change: fieldChangePayload,
  automation: automationPayload.nullable(),
  system: systemPayload,
} as const satisfies Record<TimelineKind, z.ZodType>;

export type AlertPayload = z.infer<typeof alertPayload>;
export type EvidencePayload = z.infer<typeof evidencePayload>;
export type StatusChangePayload = z.infer<typeof statusChangePayload>;
export type FieldChangePayload = z.infer<typeof fieldChangePayload>;
export type IntelMatchPayload = z.infer<typeof intelMatchPayload>;
export type GuardCorrectionPayload = z.infer<typeof guardCorrectionPayload>;
export type SystemPayload = z.infer<typeof systemPayload>;

/** An entry's kind with its typed payload. */
type TimelinePayload = { [K in TimelineKind]: { kind: K; data: z.infer<(typeof PAYLOAD_SCHEMAS)[K]> } }[TimelineKind];

/** What a writer gives for each kind (the payload a kind must carry). */
export type PayloadFor<K extends TimelineKind> = z.input<(typeof PAYLOAD_SCHEMAS)[K]>;

/** Validate a payload for a kind (writers: `addTimelineEntry` refuses one that does not parse). */
export function checkPayload(kind: TimelineKind, data: unknown): { ok: true; data: unknown } | { ok: false; problem: string } {
  const r = PAYLOAD_SCHEMAS[kind].safeParse(data ?? null);
  if (r.success) return { ok: true, data: r.data };
  return { ok: false, problem: r.error.issues.map((i) => `data${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`).join('; ') };
}

export type ReadPayload = { ok: true; payload: TimelinePayload } | { ok: false; problem: string };

/** An entry's payload, typed by its kind, or why it cannot be read (show the entry plainly, with the problem). */
export function readPayload(entry: Pick<TimelineEntry, 'kind' | 'data'>): ReadPayload {
  const r = checkPayload(entry.kind, entry.data);
  return r.ok ? { ok: true, payload: { kind: entry.kind, data: r.data } as TimelinePayload } : { ok: false, problem: r.problem };
}

/** The payload if it is of kind `k` and parses, else null. */
export function payloadOf<K extends TimelineKind>(entry: Pick<TimelineEntry, 'kind' | 'data'>, k: K): z.infer<(typeof PAYLOAD_SCHEMAS)[K]> | null {
  if (entry.kind !== k) return null;
  const r = PAYLOAD_SCHEMAS[k].safeParse(entry.data ?? null);
  return r.success ? (r.data as z.infer<(typeof PAYLOAD_SCHEMAS)[K]>) : null;
}

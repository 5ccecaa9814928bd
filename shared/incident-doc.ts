/**
 * The incident document: its Yjs layout and the only code that touches its keys.
 *
 * Layout (Y.Doc guid = incident id):
 *   meta      Y.Map   scalar fields (LWW per field), `description` as Y.Text (co-edited),
 *                     `tags`/`assets` as Y.Map<string, true> (sets that merge), `observables`
 *                     as Y.Map<"kind:value", Observable>, `customFields` as Y.Map
 *   timeline  Y.Array<Y.Map>  entries: `info` (id, createdAt, author, kind, data: written once),
 *                     `at`, `deleted`, `editedAt`/`editedBy`, `deletedAt`/`deletedBy` (editable;
 *                     the server checks the names), `text` a Y.Text several people write in,
 *                     `evidence:<id>` → true per linked evidence item (keys of the entry itself,
 *                     so links made on two devices at once both stay)
 *   tasks     Y.Array<Y.Map>  checklist items
 *   review    Y.Map   the post-incident review's scalars: `detectionLate` (boolean), the sign-off
 *                     (`signedOffBy`/`signedOffAt`, a lead's), `updatedAt`/`updatedBy`
 *   review:<field>  Y.Text  each review text (summary, impactWhat, ..., rootCause, lucky)
 *   review:fiveWhys, review:decisions  Y.Array<Y.Map>  ordered items: id, `text` a Y.Text, by, at, deleted
 *   actionItems Y.Array<Y.Map>  improvement items: id, title, owner, due, type, status, ...
 * The review's texts and lists are top-level types, not keys of `review`: two devices opening an
 * empty review offline would each create the nested type and the merge would keep only one.
 *
 * Nothing is ever removed from the arrays: deleting an entry, a task, a "why" or a decision sets
 * `deleted` and an action item is `dropped`, so an offline edit of a "deleted" item still has
 * somewhere to land and nothing written is lost.
 * This file is long because it is the single owner of the layout (see ARCHITECTURE.md).
 */
import * as Y from 'yjs';
import {
  actionItemSchema,
  REVIEW_LIMITS,
  type ActionItem,
  type Review,
  type ReviewItem,
  incidentMetaSchema,
  LIMITS,
  observableSchema,
  taskSchema,
  timelineEntrySchema,
  editableFieldsSchema,
  type EditableFields,
  type Incident,
  type IncidentMeta,
  type Observable,
  type Task,
  type TimelineEntry,
  type TimelineKind,
  type Category,
  type Severity,
  type Priority,
  type Tlp,
  type Risk,
  type Breach,
  type CorrectableMilestone,
  type Resolution,
  CLOSING_SUMMARY_MAX,
  CORRECTABLE_MILESTONES,
  RESOLUTIONS,
  riskSchema,
  breachSchema,
} from './incident-schema.ts';
import { newId } from './ids.ts';
import { checkPayload, type PayloadFor } from './timeline-payloads.ts';
import { err, ok, type Result } from './result.ts';
import { transition, type Status, type TransitionOk, type TransitionRefused } from './workflow.ts';

const K = {
  meta: 'meta',
  timeline: 'timeline',
  tasks: 'tasks',
  description: 'description',
  tags: 'tags',
  assets: 'assets',
  observables: 'observables',
  customFields: 'customFields',
  related: 'relatedIncidents',
  text: 'text',
  info: 'info',
  review: 'review',
  actionItems: 'actionItems',
  /** Prefix of an entry's keys that link an evidence item (`evidence:<id>` → true). */
  evidence: 'evidence:',
} as const;

/** The review's text fields: each a Y.Text under this key of the `review` map. */
const REVIEW_TEXT_KEYS = [
  'summary',
  'impactWhat',
  'impactWho',
  'impactDuration',
  'impactData',
  'impactRegulatory',
  'detectionHow',
  'detectionWhen',
  'detectionLateWhy',
  'rootCause',
  'contributingFactors',
  'wentWell',
  'wentWrong',
  'lucky',
] as const;
export type ReviewTextKey = (typeof REVIEW_TEXT_KEYS)[number];
/** The review's sign-off keys (a lead's name and time). */
const K_SIGN_OFF = { by: 'signedOffBy', at: 'signedOffAt' } as const;

/**
 * The layout's keys, for the one other module that must read the document at the Yjs level
 * (shared/incident-guard.ts, which enforces what updates from devices may change).
 */
export const DOC_LAYOUT = {
  ...K,
  /** meta keys holding a collection (a Y type): items come and go, the collection stays. */
  collections: new Set<string>([K.description, K.tags, K.assets, K.observables, K.customFields, K.related]),
  /** The review's ordered lists (top-level Y.Array<Y.Map>): items are marked deleted, never removed. */
  reviewLists: ['review:fiveWhys', 'review:decisions'] as const,
  /** review keys only a lead or an admin writes (the sign-off), naming themselves. */
  signOff: K_SIGN_OFF,
  /** Keys of an action item written once, when it is created. */
  actionItemFixed: new Set<string>(['id', 'createdAt', 'createdBy']),
} as const;

/** Entry kinds people write (and co-write); every other kind is written by the server. */
export const HUMAN_ENTRY_KINDS: ReadonlySet<string> = new Set<TimelineKind>(['note', 'chat']);

/** Transaction origin the server uses for its own writes (key assignment, automation). */
export const SERVER_ORIGIN = 'sentpilot-server';

type YMeta = Y.Map<unknown>;
type YEntry = Y.Map<unknown>;

const metaOf = (doc: Y.Doc): YMeta => doc.getMap(K.meta);
const timelineOf = (doc: Y.Doc): Y.Array<YEntry> => doc.getArray<YEntry>(K.timeline);
const tasksOf = (doc: Y.Doc): Y.Array<YEntry> => doc.getArray<YEntry>(K.tasks);
const reviewOf = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(K.review);
const reviewTextOf = (doc: Y.Doc, key: ReviewTextKey): Y.Text => doc.getText(`review:${key}`);
type ReviewList = 'fiveWhys' | 'decisions';
const reviewListOf = (doc: Y.Doc, name: ReviewList): Y.Array<YEntry> => doc.getArray<YEntry>(`review:${name}`);
/** Every type the review is made of (to observe it). */
const reviewTypes = (doc: Y.Doc): (Y.Map<unknown> | Y.Text | Y.Array<YEntry>)[] => [
  reviewOf(doc),
  ...REVIEW_TEXT_KEYS.map((k) => reviewTextOf(doc, k)),
  reviewListOf(doc, 'fiveWhys'),
  reviewListOf(doc, 'decisions'),
];
const actionItemsOf = (doc: Y.Doc): Y.Array<YEntry> => doc.getArray<YEntry>(K.actionItems);

const nowIso = (): string => new Date().toISOString();

function childMap(meta: YMeta, key: string): Y.Map<unknown> {
  const existing = meta.get(key);
  if (existing instanceof Y.Map) return existing;
  const created = new Y.Map<unknown>();
  meta.set(key, created);
  return created;
}

function childText(parent: Y.Map<unknown>, key: string): Y.Text {
  const existing = parent.get(key);
  if (existing instanceof Y.Text) return existing;
  const created = new Y.Text(typeof existing === 'string' ? existing : '');
  parent.set(key, created);
  return created;
}

export interface NewIncident {
  title: string;
  description?: string;
  category?: Category;
  severity?: Severity;
  priority?: Priority;
  tlp?: Tlp;
  assignee?: string | null;
  reporter?: string | null;
  occurredAt?: string | null;
  detectedAt?: string | null;
  tags?: string[];
  assets?: string[];
  observables?: Observable[];
  templateId?: string | null;
  risk?: Risk | null;
  breach?: Breach | null;
  createdBy: string;
  /** Overrides the clock (tests, imports). */
  now?: string;
}

/** Initialise an empty Y.Doc (guid = incident id) as a new incident. */
export function createIncident(doc: Y.Doc, init: NewIncident, origin?: unknown): void {
  const at = init.now ?? nowIso();
  doc.transact(() => {
    const meta = metaOf(doc);
    meta.set('id', doc.guid);
    meta.set('key', null);
    meta.set('title', init.title.slice(0, LIMITS.title));
    meta.set(K.description, new Y.Text((init.description ?? '').slice(0, LIMITS.description)));
    meta.set('category', init.category ?? 'unclassified');
    meta.set('severity', init.severity ?? 'S3');
    meta.set('priority', init.priority ?? 'P3');
    meta.set('status', 'new');
    meta.set('tlp', init.tlp ?? 'amber');
    meta.set('assignee', init.assignee ?? null);
    meta.set('reporter', init.reporter ?? init.createdBy);
    const tags = new Y.Map<unknown>();
    for (const tag of init.tags ?? []) tags.set(tag.slice(0, LIMITS.shortText), true);
    meta.set(K.tags, tags);
    meta.set(K.assets, new Y.Map<unknown>());
    meta.set(K.observables, new Y.Map<unknown>());
    meta.set(K.customFields, new Y.Map<unknown>());
    meta.set(K.related, new Y.Map<unknown>());
    meta.set('templateId', init.templateId ?? null);
    meta.set('risk', init.risk ?? null);
    meta.set('breach', init.breach ?? null);
    for (const asset of init.assets ?? []) childMap(meta, K.assets).set(asset.slice(0, LIMITS.shortText), true);
    for (const o of init.observables ?? []) {
      const parsed = observableSchema.safeParse(o);
      if (parsed.success) childMap(meta, K.observables).set(`${parsed.data.kind}:${parsed.data.value}`, parsed.data);
    }
    meta.set('createdAt', at);
    meta.set('createdBy', init.createdBy);
    meta.set('updatedAt', at);
    meta.set('occurredAt', init.occurredAt ?? null);
    meta.set('detectedAt', init.detectedAt ?? at);
    meta.set('reportedAt', at);
    meta.set('containedAt', null);
    meta.set('resolvedAt', null);
    meta.set('closedAt', null);
    appendEntry(doc, { kind: 'system', text: 'Incident opened', author: init.createdBy, at, data: null });
  }, origin);
}

/** True once the document holds an incident (a fresh doc synced from nowhere does not). */
export function isIncidentDoc(doc: Y.Doc): boolean {
  return typeof metaOf(doc).get('id') === 'string';
}

/** Parse one field, falling back to a default and noting the problem. */
function field<T>(
  problems: string[],
  name: string,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  value: unknown,
  fallback: T,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (value !== undefined) problems.push(`meta.${name} is invalid`);
  return fallback;
}

function setKeys(map: unknown): string[] {
  return map instanceof Y.Map ? [...map.keys()].filter((k) => k !== '__proto__').sort() : [];
}

/**
 * Read the incident's fields as a validated plain object. Invalid fields (an old or hostile
 * client) are replaced by safe defaults and listed in `problems`; this never throws.
 */
export function readMeta(doc: Y.Doc, problems: string[] = []): IncidentMeta {
  const m = metaOf(doc);
  const s = incidentMetaSchema.shape;
  const createdAt = field(problems, 'createdAt', s.createdAt, m.get('createdAt'), new Date(0).toISOString());
  const description = m.get(K.description);
  const observables: Observable[] = [];
  const obs = m.get(K.observables);
  if (obs instanceof Y.Map) {
    for (const [k, v] of obs.entries()) {
      if (k === '__proto__') continue;
      const parsed = observableSchema.safeParse(v);
      if (parsed.success) observables.push(parsed.data);
      else problems.push(`meta.observables.${k} is invalid`);
    }
  }
  const customFields: IncidentMeta['customFields'] = {};
  const cf = m.get(K.customFields);
  if (cf instanceof Y.Map) {
    for (const [k, v] of cf.entries()) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
      const parsed = s.customFields.valueType.safeParse(v);
      if (parsed.success) customFields[k] = parsed.data;
      else problems.push(`meta.customFields.${k} is invalid`);
    }
  }
  return {
    id: field(problems, 'id', s.id, m.get('id'), doc.guid),
    key: field(problems, 'key', s.key, m.get('key') ?? null, null),
    title: field(problems, 'title', s.title, m.get('title'), '(untitled)'),
    description:
      description instanceof Y.Text
        ? description.toString().slice(0, LIMITS.description)
        : typeof description === 'string'
          ? description.slice(0, LIMITS.description)
          : '',
    category: field(problems, 'category', s.category, m.get('category'), 'unclassified'),
    severity: field(problems, 'severity', s.severity, m.get('severity'), 'S3'),
    priority: field(problems, 'priority', s.priority, m.get('priority'), 'P3'),
    status: field(problems, 'status', s.status, m.get('status'), 'new'),
    tlp: field(problems, 'tlp', s.tlp, m.get('tlp'), 'amber'),
    assignee: field(problems, 'assignee', s.assignee, m.get('assignee') ?? null, null),
    reporter: field(problems, 'reporter', s.reporter, m.get('reporter') ?? null, null),
    tags: setKeys(m.get(K.tags)).slice(0, LIMITS.tags),
    assets: setKeys(m.get(K.assets)).slice(0, LIMITS.assets),
    observables: observables.slice(0, LIMITS.observables),
    customFields,
    relatedIncidents: setKeys(m.get(K.related)).filter((k) => s.relatedIncidents.element.safeParse(k).success),
    templateId: field(problems, 'templateId', s.templateId, m.get('templateId') ?? null, null),
    risk: field(problems, 'risk', s.risk, m.get('risk') ?? null, null),
    breach: field(problems, 'breach', s.breach, m.get('breach') ?? null, null),
    createdAt,
    createdBy: field(problems, 'createdBy', s.createdBy, m.get('createdBy'), 'unknown'),
    updatedAt: field(problems, 'updatedAt', s.updatedAt, m.get('updatedAt'), createdAt),
    occurredAt: field(problems, 'occurredAt', s.occurredAt, m.get('occurredAt') ?? null, null),
    detectedAt: field(problems, 'detectedAt', s.detectedAt, m.get('detectedAt') ?? null, null),
    reportedAt: field(problems, 'reportedAt', s.reportedAt, m.get('reportedAt') ?? null, null),
    containedAt: field(problems, 'containedAt', s.containedAt, m.get('containedAt') ?? null, null),
    resolvedAt: field(problems, 'resolvedAt', s.resolvedAt, m.get('resolvedAt') ?? null, null),
    closedAt: field(problems, 'closedAt', s.closedAt, m.get('closedAt') ?? null, null),
    resolution: field(problems, 'resolution', s.resolution, m.get('resolution') ?? null, null),
    closingSummary: field(problems, 'closingSummary', s.closingSummary, m.get('closingSummary') ?? null, null),
  };
}

/** An entry's repeat count (set after writing, e.g. a deduplicated alert seen again) overrides `data.count`. */
/** Who and when of an edit, as stored (a bad value reads as unknown, never makes the entry invalid). */
const nameOrNull = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, LIMITS.shortText) : null);
const dateOrNull = (v: unknown): string | null => (typeof v === 'string' && timelineEntrySchema.shape.at.safeParse(v).success ? v : null);

function withCount(data: unknown, count: unknown): unknown {
  if (typeof count !== 'number' || !Number.isFinite(count) || typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  return { ...(data as Record<string, unknown>), count };
}

/**
 * The evidence ids an entry links, sorted. A link a hostile client wrote badly (a value other
 * than `true`, an id that is empty or too long, links past the limit) is ignored, never the entry.
 */
function evidenceLinksOf(y: YEntry): string[] {
  let ids: string[] | null = null;
  // The raw key map (deleted keys included, filtered by `get`): iterating `entries()` would build
  // an iterator per entry and make reading a 5,000-entry timeline twice as slow.
  for (const key of y._map.keys()) {
    if (!key.startsWith(K.evidence)) continue;
    const id = key.slice(K.evidence.length);
    if (y.get(key) === true && id.length > 0 && id.length <= 64) (ids ??= []).push(id);
  }
  return ids ? ids.sort().slice(0, LIMITS.evidenceLinks) : NO_LINKS;
}
const NO_LINKS: string[] = [];

function readEntry(y: unknown, index: number, problems: string[]): TimelineEntry | null {
  if (!(y instanceof Y.Map)) {
    problems.push(`timeline[${index}] is not a map`);
    return null;
  }
  const info = y.get(K.info);
  const text = y.get(K.text);
  const fixed = typeof info === 'object' && info !== null && !Array.isArray(info) ? (info as Record<string, unknown>) : {};
  const raw = {
    id: fixed['id'],
    at: y.get('at'),
    createdAt: fixed['createdAt'],
    author: fixed['author'] ?? 'unknown',
    kind: fixed['kind'] ?? 'note',
    text: text instanceof Y.Text ? text.toString() : typeof text === 'string' ? text : '',
    data: withRunState(withCount(fixed['data'] ?? null, y.get('count')), y),
    deleted: y.get('deleted') ?? false,
    editedAt: y.get('editedAt') ?? null,
    editedBy: nameOrNull(y.get('editedBy')),
    deletedBy: y.get('deleted') === true ? nameOrNull(y.get('deletedBy')) : null,
    deletedAt: y.get('deleted') === true ? dateOrNull(y.get('deletedAt')) : null,
    evidence: evidenceLinksOf(y),
  };
  const parsed = timelineEntrySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(`timeline[${index}] is invalid`);
  return null;
}

function readTask(y: unknown, index: number, problems: string[]): Task | null {
  if (!(y instanceof Y.Map)) {
    problems.push(`tasks[${index}] is not a map`);
    return null;
  }
  const parsed = taskSchema.safeParse({
    id: y.get('id'),
    title: y.get('title'),
    done: y.get('done') ?? false,
    doneBy: y.get('doneBy') ?? null,
    doneAt: y.get('doneAt') ?? null,
    createdAt: y.get('createdAt'),
    deleted: y.get('deleted') ?? false,
  });
  if (parsed.success) return parsed.data;
  problems.push(`tasks[${index}] is invalid`);
  return null;
}

type EntryKey = Pick<TimelineEntry, 'at' | 'createdAt' | 'id'>;

/** Timeline order: event time, then time written, then id (stable on every device). */
function compareEntries(a: EntryKey, b: EntryKey): number {
  return a.at.localeCompare(b.at) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** A timeline entry located and ordered without reading or validating the rest of it. */
export interface TimelineRef extends EntryKey {
  readonly y: unknown;
  /** Position in the stored array (for problem messages). */
  readonly index: number;
  readonly deleted: boolean;
}

const UTC_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/**
 * `compareEntries(a, b) <= 0`, without `localeCompare` in the usual case: two different UTC
 * stamps of the same shape differ first in a digit, where code-unit order is collation order.
 */
function inOrder(a: EntryKey, b: EntryKey): boolean {
  if (a.at !== b.at && a.at.length === b.at.length && UTC_STAMP.test(a.at) && UTC_STAMP.test(b.at)) return a.at < b.at;
  return compareEntries(a, b) <= 0;
}

/**
 * The timeline in display order as references: two map reads per entry instead of a validated
 * read of each, so a screen can order 5,000 entries and then read only the ones it shows
 * (`readTimelineRef`). Entries are appended as they happen, so the stored order usually is the
 * display order already and is only checked; it is sorted when it is not. An entry whose keys
 * are not strings is left out (`readTimeline` reports it).
 */
export function timelineOrder(doc: Y.Doc): TimelineRef[] {
  const out: TimelineRef[] = [];
  let sorted = true;
  timelineOf(doc).forEach((y, index) => {
    if (!(y instanceof Y.Map)) return;
    const info = y.get(K.info) as { id?: unknown; createdAt?: unknown } | null | undefined;
    const at = y.get('at');
    const id = typeof info === 'object' && info !== null ? info.id : undefined;
    const createdAt = typeof info === 'object' && info !== null ? info.createdAt : undefined;
    if (typeof id !== 'string' || typeof at !== 'string' || typeof createdAt !== 'string') return;
    const ref: TimelineRef = { y, index, id, at, createdAt, deleted: y.get('deleted') === true };
    const prev = out[out.length - 1];
    if (sorted && prev && !inOrder(prev, ref)) sorted = false;
    out.push(ref);
  });
  return sorted ? out : out.sort(compareEntries);
}

/** Read and validate one entry found by `timelineOrder`; null (and a problem) if it is invalid. */
export function readTimelineRef(ref: TimelineRef, problems: string[] = []): TimelineEntry | null {
  return readEntry(ref.y, ref.index, problems);
}

/** The timeline's stored length (entries and anything else a client pushed). */
export function timelineLength(doc: Y.Doc): number {
  return timelineOf(doc).length;
}

/**
 * Validate the stored timeline items in [start, end) and add what `readTimeline` would report for
 * them to `problems`, so a screen can check a long timeline in slices while the browser is idle.
 */
export function checkTimelineRange(doc: Y.Doc, start: number, end: number, problems: string[]): void {
  timelineOf(doc)
    .slice(start, end)
    .forEach((y, i) => readEntry(y, start + i, problems));
}

/** The co-edited text of an entry found by `timelineOrder` (as `entryText`, without the lookup by id). */
export function timelineRefText(ref: TimelineRef): Y.Text | null {
  return ref.y instanceof Y.Map ? childText(ref.y, K.text) : null;
}

export function readTimeline(doc: Y.Doc, problems: string[] = []): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  timelineOf(doc).forEach((y, i) => {
    const e = readEntry(y, i, problems);
    if (e) out.push(e);
  });
  return out.sort(compareEntries);
}

export function readTasks(doc: Y.Doc, problems: string[] = []): Task[] {
  const out: Task[] = [];
  tasksOf(doc).forEach((y, i) => {
    const t = readTask(y, i, problems);
    if (t) out.push(t);
  });
  return out;
}

export interface ReadIncident {
  incident: Incident;
  /** What had to be repaired or skipped; empty for a well-formed document. */
  problems: string[];
}

/** Read the whole incident, defensively. Returns null for a document with no incident yet. */
export function readIncident(doc: Y.Doc): ReadIncident | null {
  if (!isIncidentDoc(doc)) return null;
  const problems: string[] = [];
  const incident = {
    meta: readMeta(doc, problems),
    timeline: readTimeline(doc, problems),
    tasks: readTasks(doc, problems),
    review: readReview(doc, problems),
    actionItems: readActionItems(doc, problems),
  };
  return { incident, problems };
}

/** Fields whose changes are recorded in the timeline (so concurrent values are never lost). */
const TRACKED_FIELDS = ['severity', 'priority', 'category', 'assignee', 'tlp'] as const;

/** Set editable fields. Validated; discrete changes get a `field_change` timeline entry. */
export function setFields(doc: Y.Doc, fields: EditableFields, actor: string, origin?: unknown): Result<void, string> {
  const parsed = editableFieldsSchema.strict().safeParse(fields);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const at = nowIso();
  doc.transact(() => {
    const meta = metaOf(doc);
    for (const [name, value] of Object.entries(parsed.data)) {
      if (value === undefined) continue;
      if (name === K.description) {
        const text = childText(meta, K.description);
        if (text.toString() !== value) {
          text.delete(0, text.length);
          text.insert(0, value as string);
        }
        continue;
      }
      const before = meta.get(name) ?? null;
      if (before === value) continue;
      meta.set(name, value);
      if ((TRACKED_FIELDS as readonly string[]).includes(name)) {
        appendEntry(doc, { kind: 'field_change', author: actor, at, text: '', data: { field: name, from: before, to: value } });
      }
    }
    meta.set('updatedAt', at);
  }, origin);
  return ok(undefined);
}

/** The co-edited description text (for binding an editor). */
export function descriptionText(doc: Y.Doc): Y.Text {
  return childText(metaOf(doc), K.description);
}

/** Move the incident through the workflow; refused transitions change nothing. */
export function setStatus(doc: Y.Doc, to: Status, actor: string, opts: { reason?: string; origin?: unknown } = {}): Result<TransitionOk, TransitionRefused> {
  const from = readMeta(doc).status;
  const result = transition(from, to);
  if (!result.ok) return result;
  const at = nowIso();
  doc.transact(() => {
    const meta = metaOf(doc);
    meta.set('status', to);
    for (const m of result.value.milestones) if (meta.get(m) == null) meta.set(m, at);
    for (const m of result.value.clears) meta.set(m, null);
    meta.set('updatedAt', at);
    appendEntry(doc, { kind: 'status_change', author: actor, at, text: opts.reason ?? '', data: { from, to } });
  }, opts.origin);
  return result;
}

/** Write the server-assigned human key. */
export function setIncidentKey(doc: Y.Doc, key: string, origin: unknown = SERVER_ORIGIN): void {
  doc.transact(() => metaOf(doc).set('key', key), origin);
}

function setMember(doc: Y.Doc, set: 'tags' | 'assets', value: string, present: boolean, origin?: unknown): void {
  const v = value.trim().slice(0, LIMITS.shortText);
  if (!v || v === '__proto__') return;
  doc.transact(() => {
    const meta = metaOf(doc);
    const map = childMap(meta, set);
    if (present) map.set(v, true);
    else map.delete(v);
    meta.set('updatedAt', nowIso());
  }, origin);
}

export const addTag = (doc: Y.Doc, tag: string, origin?: unknown): void => setMember(doc, 'tags', tag, true, origin);
export const removeTag = (doc: Y.Doc, tag: string, origin?: unknown): void => setMember(doc, 'tags', tag, false, origin);
export const addAsset = (doc: Y.Doc, asset: string, origin?: unknown): void => setMember(doc, 'assets', asset, true, origin);
export const removeAsset = (doc: Y.Doc, asset: string, origin?: unknown): void => setMember(doc, 'assets', asset, false, origin);

export function addObservable(doc: Y.Doc, observable: Observable, origin?: unknown): Result<void, string> {
  const parsed = observableSchema.safeParse(observable);
  if (!parsed.success) return err(parsed.error.issues.map((i) => i.message).join('; '));
  doc.transact(() => {
    const meta = metaOf(doc);
    childMap(meta, K.observables).set(`${parsed.data.kind}:${parsed.data.value}`, parsed.data);
    meta.set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

export function removeObservable(doc: Y.Doc, observable: Pick<Observable, 'kind' | 'value'>, origin?: unknown): void {
  doc.transact(() => {
    const meta = metaOf(doc);
    childMap(meta, K.observables).delete(`${observable.kind}:${observable.value}`);
    meta.set('updatedAt', nowIso());
  }, origin);
}

export function setCustomField(doc: Y.Doc, name: string, value: string | number | boolean | null, origin?: unknown): Result<void, string> {
  if (!name || name.length > LIMITS.shortText || name === '__proto__') return err('invalid custom field name');
  doc.transact(() => {
    const meta = metaOf(doc);
    childMap(meta, K.customFields).set(name, value);
    meta.set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

/** Link or unlink another incident (call on both documents: the link shows from both sides). */
export function setRelated(doc: Y.Doc, otherId: string, linked: boolean, origin?: unknown): Result<void, string> {
  if (!incidentMetaSchema.shape.relatedIncidents.element.safeParse(otherId).success) return err('related incident id must be a UUID');
  if (otherId === doc.guid) return err('an incident cannot be related to itself');
  doc.transact(() => {
    const meta = metaOf(doc);
    const set = childMap(meta, K.related);
    if (linked) set.set(otherId, true);
    else set.delete(otherId);
    meta.set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

/** Record the risk score (server-computed from alerts) that explains the severity. */
export function setRisk(doc: Y.Doc, risk: Risk | null, origin?: unknown): Result<void, string> {
  const parsed = riskSchema.nullable().safeParse(risk);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  doc.transact(() => {
    const meta = metaOf(doc);
    meta.set('risk', parsed.data);
    meta.set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

/** Mark (or unmark, with null) the incident as a personal-data breach; starts the notification clock. */
export function setBreach(doc: Y.Doc, breach: Breach | null, actor: string, origin?: unknown): Result<void, string> {
  const parsed = breachSchema.nullable().safeParse(breach);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const at = nowIso();
  doc.transact(() => {
    const meta = metaOf(doc);
    const before = meta.get('breach') ?? null;
    meta.set('breach', parsed.data);
    meta.set('updatedAt', at);
    appendEntry(doc, { kind: 'field_change', author: actor, at, text: '', data: { field: 'breach', from: before, to: parsed.data } });
  }, origin);
  return ok(undefined);
}

interface EntryBase {
  text?: string;
  author: string;
  /** Event time; defaults to now. */
  at?: string;
  id?: string;
}

/**
 * A new timeline entry: its kind with the payload that kind carries (shared/timeline-payloads.ts),
 * checked by the compiler here and by `addTimelineEntry` at run time.
 */
export type NewEntry = { [K in TimelineKind]: EntryBase & { kind: K; data?: PayloadFor<K> | null } }[TimelineKind];

function appendEntry(doc: Y.Doc, e: NewEntry): string {
  const id = e.id ?? newId();
  const created = nowIso();
  const y = new Y.Map<unknown>();
  // What never changes after writing is one value (one Yjs item instead of five): a 5,000-entry
  // timeline loads about twice as fast. `deleted` and `editedAt` are set only when they change.
  y.set(K.info, { id, createdAt: created, author: e.author.slice(0, LIMITS.shortText), kind: e.kind, data: e.data ?? null });
  y.set('at', e.at ?? created);
  y.set(K.text, new Y.Text((e.text ?? '').slice(0, LIMITS.noteText)));
  timelineOf(doc).push([y]);
  return id;
}

/** Add a timeline entry; returns its id. */
export function addTimelineEntry(doc: Y.Doc, entry: NewEntry, origin?: unknown): Result<string, string> {
  if (entry.at !== undefined && !timelineEntrySchema.shape.at.safeParse(entry.at).success) return err('at: invalid date-time');
  const payload = checkPayload(entry.kind, entry.data ?? null);
  if (!payload.ok) return err(`a ${entry.kind} entry's ${payload.problem}`);
  let id = '';
  doc.transact(() => {
    id = appendEntry(doc, entry);
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
  return ok(id);
}

function findTask(doc: Y.Doc, id: string): YEntry | null {
  for (const y of tasksOf(doc)) if (y instanceof Y.Map && y.get('id') === id) return y;
  return null;
}

/**
 * Entries by id, rebuilt when the timeline's length changes. Entries are never removed and their
 * id is written once, so a length change is the only way the index can go stale; the screen's
 * 100 visible notes then cost 100 map lookups instead of 100 scans of 5,000 entries.
 */
const entryIndex = new WeakMap<Y.Array<YEntry>, { length: number; byId: Map<string, YEntry> }>();

function findEntry(doc: Y.Doc, id: string): YEntry | null {
  const timeline = timelineOf(doc);
  let index = entryIndex.get(timeline);
  if (!index || index.length !== timeline.length) {
    const byId = new Map<string, YEntry>();
    for (const y of timeline) {
      if (!(y instanceof Y.Map)) continue;
      const info = y.get(K.info);
      const entryId = typeof info === 'object' && info !== null ? (info as { id?: unknown }).id : undefined;
      if (typeof entryId === 'string' && !byId.has(entryId)) byId.set(entryId, y);
    }
    index = { length: timeline.length, byId };
    entryIndex.set(timeline, index);
  }
  return index.byId.get(id) ?? null;
}

/** Whether the timeline holds an entry with this id (writers that may run twice check it first). */
export function hasTimelineEntry(doc: Y.Doc, id: string): boolean {
  return findEntry(doc, id) !== null;
}

/** The co-edited text of one timeline entry, or null if there is no such entry. */
export function entryText(doc: Y.Doc, entryId: string): Y.Text | null {
  const y = findEntry(doc, entryId);
  return y ? childText(y, K.text) : null;
}

/**
 * Change an entry's event time or soft-delete/restore it. `by`: who does it (recorded as
 * `editedBy`, and `deletedBy`/`deletedAt` on a delete). A changed event time is also recorded
 * as a field change ("event time of a note corrected from … to …").
 */
export function updateTimelineEntry(
  doc: Y.Doc,
  entryId: string,
  patch: { at?: string; deleted?: boolean; by?: string; reason?: string },
  origin?: unknown,
): Result<void, string> {
  const y = findEntry(doc, entryId);
  if (!y) return err(`no timeline entry ${entryId}`);
  if (patch.at !== undefined && !timelineEntrySchema.shape.at.safeParse(patch.at).success) return err('at: invalid date-time');
  const by = patch.by?.slice(0, LIMITS.shortText);
  doc.transact(() => {
    const now = nowIso();
    const before = y.get('at');
    if (patch.at !== undefined && patch.at !== before) {
      y.set('at', patch.at);
      if (by) {
        appendEntry(doc, {
          kind: 'field_change',
          author: by,
          at: now,
          text: (patch.reason ?? '').trim().slice(0, LIMITS.shortText * 2),
          data: { field: 'entry_time', entry_id: entryId, from: typeof before === 'string' ? before : null, to: patch.at },
        });
      }
    }
    if (patch.deleted !== undefined) {
      y.set('deleted', patch.deleted);
      if (patch.deleted && by) {
        y.set('deletedBy', by);
        y.set('deletedAt', now);
      }
    }
    y.set('editedAt', now);
    if (by) y.set('editedBy', by);
    metaOf(doc).set('updatedAt', now);
  }, origin);
  return ok(undefined);
}

/** Record that `by` changed a note's text (its Y.Text is edited in place; this says who and when). */
export function markEntryEdited(doc: Y.Doc, entryId: string, by: string, origin?: unknown): Result<void, string> {
  const y = findEntry(doc, entryId);
  if (!y) return err(`no timeline entry ${entryId}`);
  doc.transact(() => {
    y.set('editedAt', nowIso());
    y.set('editedBy', by.slice(0, LIMITS.shortText));
  }, origin);
  return ok(undefined);
}

/** An evidence item as the timeline knows it (from the `evidence` entry the server wrote). */
export interface TimelineEvidence {
  id: string;
  name: string;
  /** The entry that recorded the item. */
  entryId: string;
}

/**
 * The incident's evidence items from their timeline entries, in stored order: what a link can
 * point to, known offline too. One read of `info` per entry, no validation of the rest.
 */
export function timelineEvidence(doc: Y.Doc): TimelineEvidence[] {
  const out: TimelineEvidence[] = [];
  const seen = new Set<string>();
  timelineOf(doc).forEach((y) => {
    if (!(y instanceof Y.Map)) return;
    const info = y.get(K.info) as { id?: unknown; kind?: unknown; data?: { evidence_id?: unknown; file_name?: unknown } | null } | undefined;
    if (info?.kind !== 'evidence' || typeof info.id !== 'string') return;
    const id = info.data?.evidence_id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 64 || seen.has(id)) return;
    seen.add(id);
    const text = y.get(K.text);
    const fallback = (text instanceof Y.Text ? text.toString() : '').replace(/^Evidence added: /, '');
    const name = typeof info.data?.file_name === 'string' && info.data.file_name ? info.data.file_name : fallback || `evidence ${id.slice(0, 8)}`;
    out.push({ id, name: name.slice(0, 255), entryId: info.id });
  });
  return out;
}

/** A timeline entry that links an evidence item: what the evidence panel shows under the item. */
export interface EvidenceLinker {
  entryId: string;
  at: string;
  /** The entry's text, cut to 120 characters. */
  excerpt: string;
}

/**
 * Which live entries link each evidence item, in stored order. Reads only entries that carry a
 * link (one scan of the entry's own keys each), so a 5,000-entry timeline costs a few ms.
 */
export function evidenceLinkers(doc: Y.Doc): Map<string, EvidenceLinker[]> {
  const out = new Map<string, EvidenceLinker[]>();
  timelineOf(doc).forEach((y) => {
    if (!(y instanceof Y.Map) || y.get('deleted') === true) return;
    const ids = evidenceLinksOf(y);
    if (ids.length === 0) return;
    const info = y.get(K.info) as { id?: unknown } | undefined;
    const at = y.get('at');
    if (typeof info?.id !== 'string' || typeof at !== 'string') return;
    const text = y.get(K.text);
    const excerpt = (text instanceof Y.Text ? text.toString() : typeof text === 'string' ? text : '').replace(/\s+/g, ' ').trim();
    const linker = { entryId: info.id, at, excerpt: excerpt.length > 120 ? `${excerpt.slice(0, 119)}…` : excerpt };
    for (const id of ids) out.set(id, [...(out.get(id) ?? []), linker]);
  });
  return out;
}

/**
 * Link (or unlink) an evidence item to a timeline entry. Links are a set per entry, so two
 * analysts linking different items offline both keep theirs.
 */
export function setEntryEvidence(doc: Y.Doc, entryId: string, evidenceId: string, linked: boolean, origin?: unknown): Result<void, string> {
  const y = findEntry(doc, entryId);
  if (!y) return err(`no timeline entry ${entryId}`);
  if (!timelineEntrySchema.shape.evidence.unwrap().element.safeParse(evidenceId).success) return err('evidence id: 1 to 64 characters');
  const key = K.evidence + evidenceId;
  if (linked === (y.get(key) === true)) return ok(undefined);
  if (linked && evidenceLinksOf(y).length >= LIMITS.evidenceLinks) return err(`at most ${LIMITS.evidenceLinks} evidence items per timeline entry`);
  doc.transact(() => {
    if (linked) y.set(key, true);
    else y.delete(key);
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

/** Raise an entry's repeat count (an alert seen again); a lower count than the stored one is ignored. */
export function setEntryCount(doc: Y.Doc, entryId: string, count: number, origin?: unknown): Result<void, string> {
  const y = findEntry(doc, entryId);
  if (!y) return err(`no timeline entry ${entryId}`);
  if (!Number.isInteger(count) || count < 1) return err('count must be a positive integer');
  const before = y.get('count');
  if (typeof before === 'number' && before >= count) return ok(undefined);
  doc.transact(() => y.set('count', count), origin);
  return ok(undefined);
}

/**
 * A playbook run is one timeline entry (`automation`, id `run-<run id>`), updated in place as the
 * run goes: the run's own state under `run` and each step's latest state under `step:<id>` (or
 * `step:<id>:<item>` for a step over items), so a 40-change run is one row that expands into its
 * steps. One key per step keeps two server processes that settle different steps of one run from
 * overwriting each other. Devices may not change these keys (shared/incident-guard.ts: keys of
 * server-written entries are the server's); the run and step tables stay the record of truth.
 */
export interface RunChange {
  /** null: the run itself. */
  stepId: string | null;
  /** The item of a step that runs once per item (0-based). */
  item?: number;
  state: string;
  text: string;
  author: string;
  /** When it happened (default now). */
  at?: string;
  /** The first change's data becomes the entry's data (run_id, playbook_id, dry_run). */
  data: Record<string, unknown>;
  /** Extra facts of the step (attempt, approval, error). */
  detail?: Record<string, unknown>;
}

/** One state as the run's entry keeps it. */
interface RunStepState {
  step_id: string | null;
  item?: number;
  state: string;
  text: string;
  at: string;
  /** When the step first showed up (its place in the expanded list). */
  since: string;
  detail?: Record<string, unknown>;
  /** The states it went through, oldest first, this one last (at most RUN_STEP_HISTORY). */
  history: { state: string; text: string; at: string }[];
}

/** States kept per step: enough for queued, attempts, waiting, approved, done. */
const RUN_STEP_HISTORY = 12;

const RUN_KEY = 'run';
const STEP_KEY_PREFIX = 'step:';
/** At most this many step keys on one run entry (a step over 10,000 items is summed up by the run). */
const MAX_RUN_STEPS = 200;

export const runEntryId = (runId: string): string => `run-${runId}`.slice(0, 64);

/** Record a run's changes on its entry (created by the first). One transaction. */
export function recordRunChanges(doc: Y.Doc, runId: string, changes: readonly RunChange[], origin: unknown = SERVER_ORIGIN): void {
  if (changes.length === 0) return;
  const id = runEntryId(runId);
  doc.transact(() => {
    let y = findEntry(doc, id);
    if (!y) {
      const first = changes[0]!;
      appendEntry(doc, {
        id,
        kind: 'automation',
        author: first.author,
        text: first.text,
        ...(first.at ? { at: first.at } : {}),
        data: { ...first.data, run_id: runId },
      });
      y = findEntry(doc, id);
      if (!y) return;
    }
    let stepKeys = 0;
    for (const key of y._map.keys()) if (key.startsWith(STEP_KEY_PREFIX)) stepKeys++;
    for (const c of changes) {
      const at = c.at ?? nowIso();
      const key = c.stepId === null ? RUN_KEY : `${STEP_KEY_PREFIX}${c.stepId}${c.item !== undefined && c.item >= 0 ? `:${c.item}` : ''}`;
      const before = y.get(key) as Partial<RunStepState> | undefined;
      if (!before && key !== RUN_KEY && stepKeys >= MAX_RUN_STEPS) continue;
      if (!before && key !== RUN_KEY) stepKeys++;
      const value: RunStepState = {
        step_id: c.stepId,
        ...(c.item !== undefined && c.item >= 0 ? { item: c.item } : {}),
        state: c.state,
        text: c.text.slice(0, LIMITS.noteText),
        at,
        since: typeof before?.since === 'string' ? before.since : at,
        ...(c.detail && Object.keys(c.detail).length > 0 ? { detail: c.detail } : {}),
        history: [...(Array.isArray(before?.history) ? before.history : []), { state: c.state, text: c.text.slice(0, LIMITS.noteText), at }].slice(
          -RUN_STEP_HISTORY,
        ),
      };
      y.set(key, value);
      if (key === RUN_KEY) {
        const text = childText(y, K.text);
        if (text.toString() !== value.text) {
          text.delete(0, text.length);
          text.insert(0, value.text);
        }
      }
    }
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
}

function runStateOf(v: unknown): RunStepState | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o['state'] !== 'string' || typeof o['text'] !== 'string' || typeof o['at'] !== 'string') return null;
  return {
    step_id: typeof o['step_id'] === 'string' ? o['step_id'] : null,
    ...(typeof o['item'] === 'number' ? { item: o['item'] } : {}),
    state: o['state'].slice(0, 40),
    text: o['text'].slice(0, LIMITS.noteText),
    at: o['at'],
    since: typeof o['since'] === 'string' ? o['since'] : o['at'],
    ...(typeof o['detail'] === 'object' && o['detail'] !== null && !Array.isArray(o['detail']) ? { detail: o['detail'] as Record<string, unknown> } : {}),
    history: (Array.isArray(o['history']) ? o['history'] : [])
      .filter(
        (h): h is { state: string; text: string; at: string } =>
          typeof h === 'object' && h !== null && typeof h.state === 'string' && typeof h.text === 'string' && typeof h.at === 'string',
      )
      .slice(-RUN_STEP_HISTORY),
  };
}

/** A run entry's data: its first data plus `run` (the run's state) and `steps` (each step's latest, in order of appearance). */
function withRunState(data: unknown, y: YEntry): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || typeof (data as Record<string, unknown>)['run_id'] !== 'string') return data;
  const run = runStateOf(y.get(RUN_KEY));
  let steps: RunStepState[] | null = null;
  for (const key of y._map.keys()) {
    if (!key.startsWith(STEP_KEY_PREFIX)) continue;
    const s = runStateOf(y.get(key));
    if (s) (steps ??= []).push(s);
  }
  if (!run && !steps) return data;
  steps?.sort((a, b) => a.since.localeCompare(b.since) || (a.step_id ?? '').localeCompare(b.step_id ?? '') || (a.item ?? -1) - (b.item ?? -1));
  return { ...(data as Record<string, unknown>), ...(run ? { run } : {}), steps: steps ?? [] };
}

/** Add a checklist item; returns its id. */
/** Titles compare trimmed, case- and space-insensitively: "Check backups" is "check  backups ". */
const titleKey = (title: string): string => title.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Add each title that the checklist does not hold yet (a task not deleted with the same title),
 * once even if repeated in `titles`: a template's checklist, a playbook's tasks and a second run
 * never stack up duplicates. `idFor(n)` names the n-th title's new task (default a new id).
 * Returns, per title, the id of the task that holds it, and how many were added.
 */
export function addTasksOnce(
  doc: Y.Doc,
  titles: readonly string[],
  origin?: unknown,
  idFor: (n: number) => string = () => newId(),
): { ids: string[]; added: number } {
  const have = new Map(
    readTasks(doc)
      .filter((t) => !t.deleted)
      .map((t) => [titleKey(t.title), t.id] as const),
  );
  const ids: string[] = [];
  let added = 0;
  doc.transact(() => {
    titles.forEach((title, n) => {
      const key = titleKey(title);
      const existing = have.get(key);
      if (existing !== undefined) return void ids.push(existing);
      const id = addTask(doc, title, origin, idFor(n));
      have.set(key, id);
      ids.push(id);
      added++;
    });
  }, origin);
  return { ids, added };
}

export function addTask(doc: Y.Doc, title: string, origin?: unknown, id: string = newId()): string {
  doc.transact(() => {
    const y = new Y.Map<unknown>();
    y.set('id', id);
    y.set('title', title.slice(0, LIMITS.shortText * 2));
    y.set('done', false);
    y.set('doneBy', null);
    y.set('doneAt', null);
    y.set('createdAt', nowIso());
    y.set('deleted', false);
    tasksOf(doc).push([y]);
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
  return id;
}

export function setTaskDone(doc: Y.Doc, taskId: string, done: boolean, actor: string, origin?: unknown): Result<void, string> {
  const y = findTask(doc, taskId);
  if (!y) return err(`no task ${taskId}`);
  doc.transact(() => {
    y.set('done', done);
    y.set('doneBy', done ? actor : null);
    y.set('doneAt', done ? nowIso() : null);
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

export function updateTask(doc: Y.Doc, taskId: string, patch: { title?: string; deleted?: boolean }, origin?: unknown): Result<void, string> {
  const y = findTask(doc, taskId);
  if (!y) return err(`no task ${taskId}`);
  doc.transact(() => {
    if (patch.title !== undefined) y.set('title', patch.title.slice(0, LIMITS.shortText * 2));
    if (patch.deleted !== undefined) y.set('deleted', patch.deleted);
    metaOf(doc).set('updatedAt', nowIso());
  }, origin);
  return ok(undefined);
}

/** Replace a Y.Text's content by editing only what differs (a common prefix and suffix stay), so a concurrent edit elsewhere in it survives. */
function replaceText(text: Y.Text, value: string): void {
  const before = text.toString();
  if (before === value) return;
  const max = Math.min(before.length, value.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === value.charCodeAt(start)) start++;
  // Never split a surrogate pair.
  if (start > 0 && /[\uD800-\uDBFF]/.test(before.charAt(start - 1))) start--;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === value.charCodeAt(value.length - 1 - end)) end++;
  if (end > 0 && /[\uDC00-\uDFFF]/.test(before.charAt(before.length - end))) end--;
  text.delete(start, before.length - start - end);
  text.insert(start, value.slice(start, value.length - end));
}

const textOf = (v: unknown, max: number): string => (v instanceof Y.Text ? v.toString() : typeof v === 'string' ? v : '').slice(0, max);

function readReviewList(v: Y.Array<YEntry>, name: string, problems: string[]): ReviewItem[] {
  const out: ReviewItem[] = [];
  const seen = new Set<string>();
  v.forEach((y: unknown, i: number) => {
    if (!(y instanceof Y.Map)) return void problems.push(`review.${name}[${i}] is not a map`);
    const id = y.get('id');
    if (typeof id !== 'string' || id.length === 0 || id.length > 64 || seen.has(id)) return void problems.push(`review.${name}[${i}] is invalid`);
    seen.add(id);
    out.push({
      id,
      text: textOf(y.get(K.text), REVIEW_LIMITS.itemText),
      by: nameOrNull(y.get('by')),
      at: dateOrNull(y.get('at')),
      deleted: y.get('deleted') === true,
    });
  });
  return out;
}

/**
 * Read the post-incident review (empty fields for an incident that has none yet). Defensive like
 * `readMeta`: a value of the wrong type reads as empty (and is listed in `problems`), never throws.
 */
export function readReview(doc: Y.Doc, problems: string[] = []): Review {
  const r = reviewOf(doc);
  const t = (key: ReviewTextKey): string => textOf(reviewTextOf(doc, key), REVIEW_LIMITS.text);
  const late = r.get('detectionLate');
  const by = nameOrNull(r.get(K_SIGN_OFF.by));
  const at = dateOrNull(r.get(K_SIGN_OFF.at));
  return {
    summary: t('summary'),
    impact: { what: t('impactWhat'), who: t('impactWho'), duration: t('impactDuration'), data: t('impactData'), regulatory: t('impactRegulatory') },
    detection: { how: t('detectionHow'), when: t('detectionWhen'), late: typeof late === 'boolean' ? late : null, lateWhy: t('detectionLateWhy') },
    rootCause: t('rootCause'),
    contributingFactors: t('contributingFactors'),
    fiveWhys: readReviewList(reviewListOf(doc, 'fiveWhys'), 'fiveWhys', problems),
    wentWell: t('wentWell'),
    wentWrong: t('wentWrong'),
    lucky: t('lucky'),
    decisions: readReviewList(reviewListOf(doc, 'decisions'), 'decisions', problems),
    // A sign-off is its lead and its time; half of one is none.
    signedOffBy: by && at ? by : null,
    signedOffAt: by && at ? at : null,
    updatedAt: dateOrNull(r.get('updatedAt')),
    updatedBy: nameOrNull(r.get('updatedBy')),
  };
}

/** The co-edited text of one review field (for binding an editor). */
export function reviewText(doc: Y.Doc, key: ReviewTextKey): Y.Text {
  return reviewTextOf(doc, key);
}

/** A change to the review: texts by key, the "was detection late" flag, and the live items of its lists in order. */
export interface ReviewPatch {
  texts?: Partial<Record<ReviewTextKey, string>>;
  detectionLate?: boolean | null;
  fiveWhys?: readonly string[];
  decisions?: readonly string[];
}

/**
 * Make a list's live items read `texts`, in order: the n-th live item takes the n-th text (edited
 * in place), texts beyond them are appended, live items beyond the texts are marked deleted.
 */
function setReviewList(list: Y.Array<YEntry>, texts: readonly string[], actor: string, at: string): void {
  const live = list.toArray().filter((y): y is YEntry => y instanceof Y.Map && y.get('deleted') !== true && typeof y.get('id') === 'string');
  texts.forEach((value, n) => {
    const y = live[n];
    if (y) {
      const text = childText(y, K.text);
      if (text.toString() !== value) {
        replaceText(text, value);
        y.set('by', actor);
        y.set('at', at);
      }
      return;
    }
    const item = new Y.Map<unknown>();
    item.set('id', newId());
    item.set(K.text, new Y.Text(value));
    item.set('by', actor);
    item.set('at', at);
    item.set('deleted', false);
    list.push([item]);
  });
  for (const y of live.slice(texts.length)) {
    y.set('deleted', true);
    y.set('by', actor);
    y.set('at', at);
  }
}

/** Why a review patch is refused (its field, in the document's terms), or null. */
function reviewPatchProblem(patch: ReviewPatch): string | null {
  for (const [key, value] of Object.entries(patch.texts ?? {})) {
    if (!(REVIEW_TEXT_KEYS as readonly string[]).includes(key)) return `${key}: not a review field`;
    if (typeof value !== 'string') return `${key}: must be text`;
    if (value.length > REVIEW_LIMITS.text) return `${key}: at most ${REVIEW_LIMITS.text} characters`;
  }
  if (patch.detectionLate !== undefined && patch.detectionLate !== null && typeof patch.detectionLate !== 'boolean')
    return 'detectionLate: must be true, false or null';
  for (const name of ['fiveWhys', 'decisions'] as const) {
    const list = patch[name];
    if (list === undefined) continue;
    if (list.length > REVIEW_LIMITS.items) return `${name}: at most ${REVIEW_LIMITS.items} items`;
    const bad = list.findIndex((v) => typeof v !== 'string' || v.length > REVIEW_LIMITS.itemText);
    if (bad >= 0) return `${name}.${bad}: text of at most ${REVIEW_LIMITS.itemText} characters`;
  }
  return null;
}

/** Write review fields (checked whole first: a refused patch changes nothing). Texts are edited in place, not replaced. */
export function setReviewFields(doc: Y.Doc, patch: ReviewPatch, actor: string, origin?: unknown): Result<void, string> {
  const problem = reviewPatchProblem(patch);
  if (problem) return err(problem);
  const at = nowIso();
  doc.transact(() => {
    const r = reviewOf(doc);
    for (const [key, value] of Object.entries(patch.texts ?? {})) replaceText(reviewTextOf(doc, key as ReviewTextKey), value);
    if (patch.detectionLate !== undefined && r.get('detectionLate') !== patch.detectionLate) r.set('detectionLate', patch.detectionLate);
    if (patch.fiveWhys) setReviewList(reviewListOf(doc, 'fiveWhys'), patch.fiveWhys, actor.slice(0, LIMITS.shortText), at);
    if (patch.decisions) setReviewList(reviewListOf(doc, 'decisions'), patch.decisions, actor.slice(0, LIMITS.shortText), at);
    r.set('updatedAt', at);
    r.set('updatedBy', actor.slice(0, LIMITS.shortText));
    metaOf(doc).set('updatedAt', at);
  }, origin);
  return ok(undefined);
}

/** A required part of the review, by its API name. */
export type ReviewPart = 'summary' | 'impact' | 'root_cause' | 'sign_off';

/** What the review still lacks to be complete: summary, impact (what was affected), root cause, a lead's sign-off. */
export function reviewMissing(review: Review): ReviewPart[] {
  const missing: ReviewPart[] = [];
  if (!review.summary.trim()) missing.push('summary');
  if (!review.impact.what.trim()) missing.push('impact');
  if (!review.rootCause.trim()) missing.push('root_cause');
  if (!review.signedOffBy) missing.push('sign_off');
  return missing;
}

/**
 * A lead signs the review off (the caller checks the role; over sync the guard writes back
 * anyone else's sign-off). Refused while a required section is empty, naming it.
 */
export function signOffReview(doc: Y.Doc, lead: string, origin?: unknown): Result<string, { message: string; missing: ReviewPart[] }> {
  const missing = reviewMissing(readReview(doc)).filter((m) => m !== 'sign_off');
  if (missing.length) return err({ message: `the review cannot be signed off yet: fill in ${missing.join(', ')}`, missing });
  const at = nowIso();
  doc.transact(() => {
    const r = reviewOf(doc);
    r.set(K_SIGN_OFF.by, lead.slice(0, LIMITS.shortText));
    r.set(K_SIGN_OFF.at, at);
    metaOf(doc).set('updatedAt', at);
    appendEntry(doc, { kind: 'system', author: lead, at, text: 'Post-incident review signed off', data: null });
  }, origin);
  return ok(at);
}

function readActionItem(y: unknown, index: number, problems: string[]): ActionItem | null {
  if (!(y instanceof Y.Map)) {
    problems.push(`actionItems[${index}] is not a map`);
    return null;
  }
  const parsed = actionItemSchema.safeParse({
    id: y.get('id'),
    title: y.get('title'),
    owner: y.get('owner') ?? null,
    due: y.get('due') ?? null,
    type: y.get('type'),
    status: y.get('status'),
    createdAt: y.get('createdAt'),
    createdBy: y.get('createdBy') ?? 'unknown',
    updatedAt: y.get('updatedAt') ?? y.get('createdAt'),
  });
  if (parsed.success) return parsed.data;
  problems.push(`actionItems[${index}] is invalid`);
  return null;
}

/** The action items in stored order (an invalid one is skipped and listed in `problems`; a repeated id keeps its first). */
export function readActionItems(doc: Y.Doc, problems: string[] = []): ActionItem[] {
  const out: ActionItem[] = [];
  const seen = new Set<string>();
  actionItemsOf(doc).forEach((y, i) => {
    const item = readActionItem(y, i, problems);
    if (!item) return;
    if (seen.has(item.id)) return void problems.push(`actionItems[${i}] repeats id ${item.id}`);
    seen.add(item.id);
    out.push(item);
  });
  return out;
}

function findActionItem(doc: Y.Doc, id: string): YEntry | null {
  for (const y of actionItemsOf(doc)) if (y instanceof Y.Map && y.get('id') === id) return y;
  return null;
}

/** What an action item's writer may set. */
export type ActionItemFields = Pick<ActionItem, 'title' | 'owner' | 'due' | 'type' | 'status'>;

/** Add an action item (validated); returns its id. */
export function addActionItem(
  doc: Y.Doc,
  fields: Omit<ActionItemFields, 'status'> & { status?: ActionItem['status'] },
  actor: string,
  origin?: unknown,
  id: string = newId(),
): Result<string, string> {
  if (actionItemsOf(doc).length >= REVIEW_LIMITS.actionItems) return err(`at most ${REVIEW_LIMITS.actionItems} action items per incident`);
  const at = nowIso();
  const item: ActionItem = { ...fields, status: fields.status ?? 'open', id, createdAt: at, createdBy: actor.slice(0, LIMITS.shortText), updatedAt: at };
  const parsed = actionItemSchema.safeParse(item);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  if (findActionItem(doc, id)) return err(`action item ${id} exists`);
  doc.transact(() => {
    const y = new Y.Map<unknown>();
    for (const [k, v] of Object.entries(parsed.data)) y.set(k, v);
    actionItemsOf(doc).push([y]);
    metaOf(doc).set('updatedAt', at);
  }, origin);
  return ok(id);
}

/** Change an action item (validated whole: a refused change writes nothing). Dropping is `status: dropped`; nothing is removed. */
export function updateActionItem(doc: Y.Doc, id: string, patch: Partial<ActionItemFields>, origin?: unknown): Result<ActionItem, string> {
  const y = findActionItem(doc, id);
  if (!y) return err(`no action item ${id}`);
  const before = readActionItem(y, 0, []);
  if (!before) return err(`action item ${id} is unreadable`);
  const at = nowIso();
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const parsed = actionItemSchema.safeParse({ ...before, ...defined, updatedAt: at });
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  doc.transact(() => {
    for (const k of ['title', 'owner', 'due', 'type', 'status'] as const) if (y.get(k) !== parsed.data[k]) y.set(k, parsed.data[k]);
    y.set('updatedAt', at);
    metaOf(doc).set('updatedAt', at);
  }, origin);
  return ok(parsed.data);
}

/** Call `onChange` after every change to the timeline or one of its entries (local or remote). */
export function observeTimeline(doc: Y.Doc, onChange: (tr: Y.Transaction) => void): () => void {
  const handler = (_events: unknown, tr: Y.Transaction): void => onChange(tr);
  const timeline = timelineOf(doc);
  timeline.observeDeep(handler);
  return () => timeline.unobserveDeep(handler);
}

/** Call `onChange` after every change to the meta fields or the tasks (local or remote). */
export function observeMetaAndTasks(doc: Y.Doc, onChange: (tr: Y.Transaction) => void): () => void {
  const handler = (_events: unknown, tr: Y.Transaction): void => onChange(tr);
  const types = [metaOf(doc), tasksOf(doc)];
  for (const t of types) t.observeDeep(handler);
  return () => {
    for (const t of types) t.unobserveDeep(handler);
  };
}

/** Call `onChange` after every change to the incident (local or remote). */
export function observeIncident(doc: Y.Doc, onChange: (tr: Y.Transaction) => void): () => void {
  const handler = (_events: unknown, tr: Y.Transaction): void => onChange(tr);
  const types = [metaOf(doc), timelineOf(doc), tasksOf(doc), ...reviewTypes(doc), actionItemsOf(doc)];
  for (const t of types) t.observeDeep(handler);
  return () => {
    for (const t of types) t.unobserveDeep(handler);
  };
}

/** What closing an incident needs: its classification and a one-line summary. */
export interface Closing {
  resolution: Resolution;
  summary: string;
}

/**
 * Check a closing: the missing or invalid field by its API name (`resolution`, `closing_summary`)
 * and a sentence, or the cleaned values. The summary is one line: line breaks become spaces.
 */
export function checkClosing(input: {
  resolution?: unknown;
  summary?: unknown;
}): Result<Closing, { field: 'resolution' | 'closing_summary'; message: string }> {
  const resolution = input.resolution;
  if (typeof resolution !== 'string' || !(RESOLUTIONS as readonly string[]).includes(resolution)) {
    return err({ field: 'resolution', message: `closing needs a resolution: one of ${RESOLUTIONS.join(', ')}` });
  }
  const summary = typeof input.summary === 'string' ? input.summary.replace(/\s+/g, ' ').trim() : '';
  if (!summary) return err({ field: 'closing_summary', message: 'closing needs a one-line summary (closing_summary)' });
  if (summary.length > CLOSING_SUMMARY_MAX)
    return err({ field: 'closing_summary', message: `the closing summary is at most ${CLOSING_SUMMARY_MAX} characters` });
  return ok({ resolution: resolution as Resolution, summary });
}

/** The severities whose incidents need the review completed before closing (the default of every category). */
export const DEFAULT_REVIEW_SEVERITIES: readonly Severity[] = ['S1', 'S2'];

/**
 * Does this closing need the post-incident review completed? Only a true positive of a severity
 * the category's setting names: a false positive, a duplicate or an authorised activity (benign)
 * had no incident to review.
 */
export function reviewRequired(severities: readonly Severity[], severity: Severity, resolution: unknown): boolean {
  return resolution === 'true_positive' && severities.includes(severity);
}

/**
 * The closing gate: when this closing needs the review (`reviewRequired`), what it still lacks
 * (`reviewMissing`), as a refusal naming each part; ok when nothing is missing or none is needed.
 */
export function checkReviewGate(
  doc: Y.Doc,
  resolution: unknown,
  severities: readonly Severity[],
  /** The severity the incident closes with, when the same change sets it (default: its current one). */
  severity: Severity = readMeta(doc).severity,
): Result<void, { field: 'review'; message: string; missing: ReviewPart[] }> {
  if (!reviewRequired(severities, severity, resolution)) return ok(undefined);
  const missing = reviewMissing(readReview(doc));
  if (missing.length === 0) return ok(undefined);
  return err({
    field: 'review',
    message: `closing a ${severity} true positive needs the post-incident review completed: missing ${missing.join(', ')}`,
    missing,
  });
}

/**
 * Close the incident with its classification and summary (the status change's entry carries the
 * summary as its text and the resolution in its data). Refused like any transition, or when the
 * closing is incomplete, or (given `reviewSeverities`, the category's setting) when the review it
 * needs is not completed; a refusal changes nothing. Reopening keeps the review as it is.
 */
export function closeIncident(
  doc: Y.Doc,
  closing: { resolution?: unknown; summary?: unknown },
  actor: string,
  origin?: unknown,
  opts: { reviewSeverities?: readonly Severity[] } = {},
): Result<TransitionOk, { message: string; field?: 'resolution' | 'closing_summary' | 'review'; missing?: ReviewPart[]; refused?: TransitionRefused }> {
  const checked = checkClosing(closing);
  if (!checked.ok) return err(checked.error);
  if (opts.reviewSeverities) {
    const gate = checkReviewGate(doc, checked.value.resolution, opts.reviewSeverities);
    if (!gate.ok) return err(gate.error);
  }
  const from = readMeta(doc).status;
  const t = transition(from, 'closed');
  if (!t.ok) return err({ message: t.error.message, refused: t.error });
  const at = nowIso();
  doc.transact(() => {
    const meta = metaOf(doc);
    meta.set('status', 'closed');
    for (const m of t.value.milestones) if (meta.get(m) == null) meta.set(m, at);
    meta.set('resolution', checked.value.resolution);
    meta.set('closingSummary', checked.value.summary);
    meta.set('updatedAt', at);
    appendEntry(doc, {
      kind: 'status_change',
      author: actor,
      at,
      text: checked.value.summary,
      data: { from, to: 'closed', resolution: checked.value.resolution },
    });
  }, origin);
  return t;
}

/**
 * Correct a workflow-stamped time (contained, resolved) with a reason: recorded as a
 * `field_change` entry naming the old and new value and the reason. Only a lead or an admin may
 * (the server writes back a device's correction by anyone else: shared/incident-guard.ts); only
 * a time the workflow has stamped can be corrected.
 */
export function correctMilestone(doc: Y.Doc, name: CorrectableMilestone, at: string, reason: string, actor: string, origin?: unknown): Result<void, string> {
  if (!(CORRECTABLE_MILESTONES as readonly string[]).includes(name)) return err(`${name} cannot be corrected`);
  if (!incidentMetaSchema.shape.containedAt.unwrap().safeParse(at).success) return err('at: invalid date-time');
  const why = reason.replace(/\s+/g, ' ').trim();
  if (!why) return err('reason: say why the time is corrected');
  if (why.length > CLOSING_SUMMARY_MAX) return err(`reason: at most ${CLOSING_SUMMARY_MAX} characters`);
  const meta = metaOf(doc);
  const before = meta.get(name);
  if (typeof before !== 'string') return err(`${name} is not stamped yet: the workflow sets it`);
  const to = new Date(at).toISOString();
  if (before === to) return ok(undefined);
  const now = nowIso();
  doc.transact(() => {
    meta.set(name, to);
    meta.set('updatedAt', now);
    appendEntry(doc, { kind: 'field_change', author: actor, at: now, text: why, data: { field: name, from: before, to, reason: why, correction: true } });
  }, origin);
  return ok(undefined);
}

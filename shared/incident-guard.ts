/**
 * The rules a device's update must keep, checked and enforced where an update is applied
 * (the server's document manager, for every update from a socket or the batch sync).
 *
 * A CRDT merge cannot be refused after the fact without cutting the sender's clock sequence
 * (every later update of that device would wait forever for the refused one), so a breach is
 * *compensated* in the same Yjs transaction that applied it: what the rules protect is written
 * back, and the peers — the sender included — receive the update and its correction as one, so
 * no one ever sees the erasure. The sender's next sync converges on the corrected state.
 *
 * Protected:
 *  - timeline entries and tasks are never removed from their arrays (deleting sets `deleted`);
 *  - an entry's `info` (id, author, kind, data) is written once;
 *  - entries the server wrote (alert, automation, evidence, status and field changes, system)
 *    keep their text, time, count and flags; only evidence links may be added or removed;
 *  - another author's note may be co-written (its text), but only its author or a lead/admin
 *    may move it in time or delete it; `editedBy`/`deletedBy` always name the sender;
 *  - the incident's collections (description, tags, assets, observables, custom fields,
 *    related incidents) are never replaced wholesale (single items still come and go);
 *  - a stamped contained or resolved time is changed only by a lead or an admin (a correction);
 *  - the post-incident review: its "whys" and decisions and the action items are never removed
 *    from their arrays (deleting marks them, an action item is dropped), an item's text is never
 *    replaced wholesale, its id (and an action item's creation) is written once, and
 *    only a lead or an admin signs it off, in their own name.
 *
 * Not refused nor written back: a closing without a resolution or summary (the app writes them
 * with the status; an old or hostile client may not). Refusing the update would refuse whatever
 * else the device wrote in it and, as its later updates build on it, all it writes after; and
 * reopening it would undo a person's decision. It stands, and the projection says it has no
 * resolution (server/sync/closing-sync.pg.test.ts).
 *
 * It reads Yjs's transaction (its delete set, changed types and the state before it): items
 * removed in the transaction still hold their content until the transaction ends, so the
 * previous value of anything is at hand without copying the document.
 */
import * as Y from 'yjs';
import { DOC_LAYOUT as K, HUMAN_ENTRY_KINDS, timelineLength } from './incident-doc.ts';
import { CORRECTABLE_MILESTONES } from './incident-schema.ts';

/** Stamped times only a lead or an admin may change once set (contained, resolved). */
const CORRECTABLE: ReadonlySet<string> = new Set(CORRECTABLE_MILESTONES);

/** Who sent the update, as the rules need it. */
export interface Editor {
  /** The display name entries carry as their author. */
  name: string;
  /** Leads and admins may move and delete other people's notes. */
  moderator: boolean;
}

/** The editor a signed-in principal is (leads and admins moderate). */
export const editorOf = (p: { name: string; role: string }): Editor => ({ name: p.name, moderator: p.role === 'lead' || p.role === 'admin' });

/** Limits on what one update from a device may add (a larger one is refused whole, before it applies). */
export const GUARD_LIMITS = {
  /** New timeline entries (or tasks) in one update. */
  entriesPerUpdate: 1_000,
  /**
   * Timeline entries one author may have in an incident and still add more from a device (the
   * entries carry the sender's name: the guard stamps it). One client at its limit leaves the
   * others writing; what it wrote stays.
   */
  entriesPerAuthor: 10_000,
  /** Timeline entries an incident may reach through devices' updates at all (a backstop; the server may write more). */
  entriesPerIncident: 50_000,
} as const;

/** Per document: the timeline's length when its authors were last counted, and the counts. */
const authorCounts = new WeakMap<Y.Doc, { length: number; counts: Map<string, number> }>();

/**
 * How many timeline entries name `author`. Entries are never removed and their author is written
 * once, so the counts are recomputed only when the timeline has grown since the last count.
 */
export function entriesByAuthor(doc: Y.Doc, author: string): number {
  const timeline = doc.getArray<Y.Map<unknown>>(K.timeline);
  let cached = authorCounts.get(doc);
  if (!cached || cached.length !== timeline.length) {
    const counts = new Map<string, number>();
    timeline.forEach((y) => {
      const info = y instanceof Y.Map ? readInfo(y.get(K.info)) : null;
      if (info) counts.set(info.author, (counts.get(info.author) ?? 0) + 1);
    });
    cached = { length: timeline.length, counts };
    authorCounts.set(doc, cached);
  }
  return cached.counts.get(author) ?? 0;
}

/**
 * Before applying a device's update that adds about `entries` timeline entries (or tasks): the
 * limit it would break, as a sentence for the sender, or null.
 */
export function deviceLimitProblem(doc: Y.Doc, editor: Editor, entries: number): string | null {
  if (entries === 0) return null;
  if (entries > GUARD_LIMITS.entriesPerUpdate)
    return `the update adds about ${entries} timeline entries or tasks; at most ${GUARD_LIMITS.entriesPerUpdate} may come in one update`;
  const length = timelineLength(doc);
  if (length + entries > GUARD_LIMITS.entriesPerIncident)
    return `the incident has ${length} timeline entries; devices may add entries up to ${GUARD_LIMITS.entriesPerIncident}`;
  // Fast path: no author can pass the limit while the whole timeline is within it.
  if (length + entries <= GUARD_LIMITS.entriesPerAuthor) return null;
  const mine = entriesByAuthor(doc, editor.name);
  if (mine + entries > GUARD_LIMITS.entriesPerAuthor)
    return `${editor.name} has written ${mine} of this incident's timeline entries; one person may add entries from a device up to ${GUARD_LIMITS.entriesPerAuthor} (others still can)`;
  return null;
}

export interface Correction {
  /** What was written back, as a sentence for the timeline and the sender (null: only authors were stamped). */
  summary: string | null;
  restoredEntries: number;
  restoredTasks: number;
  restoredFields: number;
  /** Action items and review items (whys, decisions) put back. */
  restoredItems: number;
  /** New entries that named someone else as their author, now naming the sender. */
  restampedAuthors: number;
}

type Item = Y.Item;
/** Any Yjs type, as the transaction's `changed` map keys them. */
type AnyType = Parameters<Y.Transaction['changed']['get']>[0];
const asType = (t: unknown): AnyType => t as AnyType;

/**
 * The transaction and a sorted copy of its delete set: Yjs sorts and merges the set only when
 * the transaction ends, and looking an id up in an unsorted one misses.
 */
interface Tx {
  tr: Y.Transaction;
  removed: Y.Transaction['deleteSet'];
  beforeState: Map<number, number>;
}

/** Was the item created by the transaction (its clock past the sender's state before it)? */
const addedIn = (tr: Tx, it: Item): boolean => it.id.clock >= (tr.beforeState.get(it.id.client) ?? 0);

/** Did the item exist before the transaction and was it not removed before it? */
function visibleBefore(tr: Tx, it: Item): boolean {
  if (addedIn(tr, it)) return false;
  return !it.deleted || Y.isDeleted(tr.removed, it.id);
}

/** The value a map key had before the transaction (undefined: none). */
function valueBefore(tr: Tx, map: AnyType, key: string): { item: Item } | undefined {
  let it: Item | null = map._map.get(key) ?? null;
  while (it) {
    if (visibleBefore(tr, it)) return { item: it };
    it = it.left;
  }
  return undefined;
}

/** The plain text a Y.Text held before the transaction. */
function textBefore(tr: Tx, text: AnyType): string {
  let s = '';
  for (let it = text._start; it; it = it.right) if (visibleBefore(tr, it) && it.content instanceof Y.ContentString) s += it.content.str;
  return s;
}

/** A fresh (unintegrated) copy of an item's value as it was before the transaction. */
function cloneBefore(tr: Tx, it: Item): unknown {
  const c = it.content;
  if (c instanceof Y.ContentType) {
    const t = c.type;
    if (t instanceof Y.Text) return new Y.Text(textBefore(tr, asType(t)));
    if (t instanceof Y.Map) {
      const m = new Y.Map<unknown>();
      for (const key of asType(t)._map.keys()) {
        const v = valueBefore(tr, asType(t), key);
        if (v) m.set(key, cloneBefore(tr, v.item));
      }
      return m;
    }
    if (t instanceof Y.Array) {
      const a = new Y.Array<unknown>();
      const values: unknown[] = [];
      for (let x = asType(t)._start; x; x = x.right) if (visibleBefore(tr, x) && x.countable) values.push(...elementsBefore(tr, x));
      a.push(values);
      return a;
    }
    return null;
  }
  const content = c.getContent();
  return content[content.length - 1];
}

function elementsBefore(tr: Tx, it: Item): unknown[] {
  if (it.content instanceof Y.ContentType) return [cloneBefore(tr, it)];
  return it.content.getContent();
}

const isEntryMap = (t: AnyType, timeline: AnyType): boolean => t._item?.parent === timeline;

/** Write back a map key's value from before the transaction (or remove what the update added). */
function restoreKey(tr: Tx, t: AnyType, key: string, restores: (() => void)[]): boolean {
  const before = valueBefore(tr, t, key);
  if (before && !before.item.deleted) return false; // unchanged (a concurrent set lost)
  const m = t as unknown as Y.Map<unknown>;
  const current = m.get(key);
  const copy = before ? cloneBefore(tr, before.item) : undefined;
  restores.push(() => {
    if (copy === undefined) {
      if (current !== undefined) m.delete(key);
    } else m.set(key, copy);
  });
  return true;
}

/** Put back a Y type the update replaced under `key` (a collection is edited in place, never replaced). */
function restoreReplaced(tr: Tx, t: AnyType, key: string, restores: (() => void)[]): boolean {
  const before = valueBefore(tr, t, key);
  if (!before || !(before.item.content instanceof Y.ContentType) || !before.item.deleted) return false;
  const copy = cloneBefore(tr, before.item);
  restores.push(() => (t as unknown as Y.Map<unknown>).set(key, copy));
  return true;
}

interface EntryInfo {
  author: string;
  kind: string;
}

function infoBefore(tr: Tx, entry: AnyType): EntryInfo | null {
  const v = valueBefore(tr, entry, K.info);
  return readInfo(v ? cloneBefore(tr, v.item) : undefined);
}

/**
 * A timeline entry the update added names its sender as author (who wrote it is the sender,
 * whatever name the update wrote: the per-author limit counts by it). Its text and the rest of
 * its `info` stay as written.
 */
function stampAuthor(it: Item, editor: Editor, restores: (() => void)[]): boolean {
  if (!(it.content instanceof Y.ContentType) || !(it.content.type instanceof Y.Map)) return false;
  const map = it.content.type as Y.Map<unknown>;
  const info = map.get(K.info);
  const read = readInfo(info);
  if (!read || read.author === editor.name) return false;
  restores.push(() => map.set(K.info, { ...(info as Record<string, unknown>), author: editor.name }));
  return true;
}

/** An entry's author and kind from its `info` value (null: not an object). */
function readInfo(info: unknown): EntryInfo | null {
  if (typeof info !== 'object' || info === null) return null;
  const o = info as Record<string, unknown>;
  return { author: typeof o['author'] === 'string' ? o['author'] : '', kind: typeof o['kind'] === 'string' ? o['kind'] : '' };
}

/** Entry keys that name who made a change: they must name the sender. */
const SIGNED_KEYS: ReadonlySet<string> = new Set(['editedBy', 'deletedBy']);

/** May `editor` change `key` of an entry (that existed before this update)? */
function mayChangeEntryKey(info: EntryInfo | null, key: string, editor: Editor): boolean {
  if (key === K.info) return false;
  if (key.startsWith(K.evidence)) return true;
  if (!info || !HUMAN_ENTRY_KINDS.has(info.kind)) return false;
  if (key === K.text || key === 'editedAt' || key === 'editedBy') return true;
  return info.author === editor.name || editor.moderator;
}

/**
 * Inside the transaction that applied a device's update: write back whatever it removed or
 * rewrote that the rules protect. Returns what was corrected, or null when the update kept the
 * rules (the common case costs a look at the changed types and the delete set).
 */
export function enforceRules(transaction: Y.Transaction, doc: Y.Doc, editor: Editor): Correction | null {
  const tr: Tx = { tr: transaction, removed: Y.mergeDeleteSets([transaction.deleteSet]), beforeState: transaction.beforeState };
  const meta = doc.getMap(K.meta) as unknown as AnyType;
  const timeline = doc.getArray(K.timeline) as unknown as AnyType;
  const tasks = doc.getArray(K.tasks) as unknown as AnyType;
  const review = doc.getMap(K.review) as unknown as AnyType;
  const actionItems = doc.getArray(K.actionItems) as unknown as AnyType;
  const reviewLists = K.reviewLists.map((name) => doc.getArray(name) as unknown as AnyType);
  const isItemOf = (t: AnyType, arrays: readonly AnyType[]): boolean => t._item !== null && arrays.includes(t._item.parent as AnyType);
  const out = { restoredEntries: 0, restoredTasks: 0, restoredFields: 0, restoredItems: 0, restampedAuthors: 0 };
  const restores: (() => void)[] = [];

  // 1. Elements removed from the timeline, the tasks, the action items or the review's lists: put copies back where they were.
  for (const array of [timeline, tasks, actionItems, ...reviewLists]) {
    if (!transaction.changed.has(array)) continue;
    const inserts: { index: number; values: unknown[] }[] = [];
    let index = 0;
    for (let it = array._start; it; it = it.right) {
      if (!it.countable) continue;
      if (it.deleted && visibleBefore(tr, it)) {
        const values = elementsBefore(tr, it);
        const last = inserts[inserts.length - 1];
        if (last && last.index + last.values.length === index) last.values.push(...values);
        else inserts.push({ index, values });
        index += values.length;
        if (array === timeline) out.restoredEntries += values.length;
        else if (array === tasks) out.restoredTasks += values.length;
        else out.restoredItems += values.length;
      } else if (!it.deleted) {
        index += it.length;
        if (array === timeline && addedIn(tr, it) && stampAuthor(it, editor, restores)) out.restampedAuthors++;
      }
    }
    if (inserts.length) restores.push(() => inserts.forEach((ins) => (array as unknown as Y.Array<unknown>).insert(ins.index, ins.values)));
  }

  // 2. Keys of entries, texts of server-written entries, and the incident's collections.
  for (const [type, keys] of transaction.changed) {
    const t = type as AnyType;
    if (t === meta) {
      for (const key of keys) {
        if (key !== null && !editor.moderator && CORRECTABLE.has(key)) {
          // A workflow stamp is set once by the workflow; changing a stamped time is a lead's correction.
          const before = valueBefore(tr, t, key);
          const was = before ? cloneBefore(tr, before.item) : undefined;
          if (before?.item.deleted && typeof was === 'string' && (t as unknown as Y.Map<unknown>).get(key) !== was) {
            out.restoredFields++;
            restores.push(() => (t as unknown as Y.Map<unknown>).set(key, was));
          }
          continue;
        }
        if (key === null || !K.collections.has(key)) continue;
        const before = valueBefore(tr, t, key);
        if (!before || !(before.item.content instanceof Y.ContentType) || !before.item.deleted) continue;
        const copy = cloneBefore(tr, before.item);
        out.restoredFields++;
        restores.push(() => (t as unknown as Y.Map<unknown>).set(key, copy));
      }
    } else if (t === review) {
      for (const key of keys) {
        if (key === null) continue;
        if (key === K.signOff.by || key === K.signOff.at) {
          const m = t as unknown as Y.Map<unknown>;
          if (!editor.moderator) {
            // Only a lead or an admin signs the review off (or takes a sign-off back).
            if (restoreKey(tr, t, key, restores)) out.restoredFields++;
          } else if (key === K.signOff.by && m.get(key) !== undefined && m.get(key) !== null && m.get(key) !== editor.name) {
            out.restoredFields++;
            restores.push(() => m.set(key, editor.name));
          }
        }
      }
    } else if ((isItemOf(t, [actionItems]) || isItemOf(t, reviewLists)) && t._item && visibleBefore(tr, t._item)) {
      // An item's id (and an action item's creation) is written once; a list item's text is edited in place.
      const fixed = isItemOf(t, [actionItems]) ? K.actionItemFixed : new Set(['id']);
      for (const key of keys) {
        if (key === null) continue;
        if (fixed.has(key) && restoreKey(tr, t, key, restores)) out.restoredFields++;
        else if (key === K.text && restoreReplaced(tr, t, key, restores)) out.restoredFields++;
      }
    } else if (isEntryMap(t, timeline) && t._item && visibleBefore(tr, t._item)) {
      const info = infoBefore(tr, t);
      for (const key of keys) {
        if (key === null) continue;
        if (mayChangeEntryKey(info, key, editor)) {
          // Who edited or deleted is the sender, whatever name the update wrote.
          const m = t as unknown as Y.Map<unknown>;
          if (SIGNED_KEYS.has(key) && m.get(key) !== undefined && m.get(key) !== editor.name) {
            out.restoredFields++;
            restores.push(() => m.set(key, editor.name));
          }
          continue;
        }
        const before = valueBefore(tr, t, key);
        const current = (t as unknown as Y.Map<unknown>).get(key);
        if (before && !before.item.deleted) continue; // unchanged (a concurrent set lost)
        const copy = before ? cloneBefore(tr, before.item) : undefined;
        out.restoredFields++;
        restores.push(() => {
          const m = t as unknown as Y.Map<unknown>;
          if (copy === undefined) {
            if (current !== undefined) m.delete(key);
          } else m.set(key, copy);
        });
      }
    } else if (t instanceof Y.Text && t._item && t._item.parentSub === K.text && t._item.parent instanceof Y.Map) {
      const entry = asType(t._item.parent);
      if (!isEntryMap(entry, timeline) || !entry._item || !visibleBefore(tr, entry._item) || !visibleBefore(tr, t._item)) continue;
      const info = infoBefore(tr, entry);
      if (info && HUMAN_ENTRY_KINDS.has(info.kind)) continue;
      const original = textBefore(tr, asType(t));
      out.restoredFields++;
      restores.push(() => {
        const text = t as unknown as Y.Text;
        if (text.toString() === original) return;
        text.delete(0, text.length);
        text.insert(0, original);
      });
    }
  }

  if (restores.length === 0) return null;
  for (const r of restores) r();
  const parts: string[] = [];
  if (out.restoredEntries) parts.push(`${out.restoredEntries} timeline ${out.restoredEntries === 1 ? 'entry' : 'entries'} removed`);
  if (out.restoredTasks) parts.push(`${out.restoredTasks} ${out.restoredTasks === 1 ? 'task' : 'tasks'} removed`);
  if (out.restoredItems) parts.push(`${out.restoredItems} review or action ${out.restoredItems === 1 ? 'item' : 'items'} removed`);
  if (out.restoredFields) parts.push(`${out.restoredFields} protected ${out.restoredFields === 1 ? 'value' : 'values'} changed`);
  // A new entry that only named someone else is put right silently (no note in the timeline: an
  // app writes its user's name, and a name changed while a device was offline is no breach).
  const summary = parts.length
    ? `Restored what an update from ${editor.name} erased: ${parts.join(', ')}. Entries, tasks and review items are never removed (delete marks them), server-written entries are not edited, only a note's author or a lead moves or deletes it, and only a lead corrects a stamped time or signs the review off.`
    : null;
  return { ...out, summary };
}

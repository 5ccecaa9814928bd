/**
 * The part of an open incident's timeline on screen, read from its Y.Doc without reading all of
 * it: each change re-orders the entries by reference (two map reads per entry, no validation,
 * no sort when they are stored in order), and only the last `shown()` are read, validated and
 * reconciled by id into a store. A 5,000-entry timeline costs the screen 100 entry reads and
 * 100 store rows, on open and on every edit. Reads are coalesced to one per ~50 ms while many
 * updates stream in.
 */
import { createComputed, createMemo, createSignal, onCleanup, type Accessor } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type * as Y from 'yjs';
import { entryText, observeTimeline, readTimelineRef, timelineOrder, timelineRefText, type TimelineRef } from '../../../shared/incident-doc.ts';
import type { TimelineEntry } from '../../../shared/incident-schema.ts';
import type { FilterableEntry } from './timeline-filter.ts';

export interface TimelineWindow {
  /** Entries in the timeline, deleted ones included. */
  total: Accessor<number>;
  /** Entries the filter lets through (deleted ones included); `total` when nothing is filtered. */
  matching: Accessor<number>;
  /** Entries not deleted. */
  live: Accessor<number>;
  /** The last `shown()` entries (the valid ones), oldest first. */
  entries: TimelineEntry[];
  /** The co-edited text of an entry (one on screen without a lookup by id). */
  textOf(id: string): Y.Text | null;
}

/** The last `shown` of `refs`, read and validated (invalid ones left out), oldest first. */
export function readWindow(refs: readonly TimelineRef[], shown: number): { entries: TimelineEntry[]; byId: Map<string, TimelineRef> } {
  const entries: TimelineEntry[] = [];
  const byId = new Map<string, TimelineRef>();
  for (let i = Math.max(0, refs.length - shown); i < refs.length; i++) {
    const ref = refs[i]!;
    const entry = readTimelineRef(ref);
    if (!entry) continue;
    entries.push(entry);
    byId.set(entry.id, ref);
  }
  return { entries, byId };
}

const READ_INTERVAL_MS = 50;

/** An entry as the filter reads it: its stored kind and author (one map read), its text only on demand. */
function filterable(ref: TimelineRef): FilterableEntry {
  const info = (ref.y as Y.Map<unknown>).get('info') as { kind?: unknown; author?: unknown } | null | undefined;
  return {
    kind: typeof info?.kind === 'string' ? info.kind : '',
    author: typeof info?.author === 'string' ? info.author : '',
    text: () => timelineRefText(ref)?.toString() ?? '',
  };
}

/**
 * `match`: the filter bar's test (null: everything). The window is the last `shown()` of the
 * entries it lets through.
 */
export function createTimelineWindow(
  doc: Y.Doc,
  shown: Accessor<number>,
  match: Accessor<((e: FilterableEntry) => boolean) | null> = () => null,
): TimelineWindow {
  const [order, setOrder] = createSignal(timelineOrder(doc), { equals: false });
  const [entries, setEntries] = createStore<TimelineEntry[]>([]);
  let onScreen = new Map<string, TimelineRef>();
  const filtered = createMemo(() => {
    const m = match();
    const refs = order();
    return m ? refs.filter((ref) => m(filterable(ref))) : refs;
  });
  createComputed(() => {
    const { entries: visible, byId } = readWindow(filtered(), shown());
    onScreen = byId;
    setEntries(reconcile(visible, { key: 'id' }));
  });
  const live = createMemo(() => order().reduce((n, ref) => (ref.deleted ? n : n + 1), 0));

  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const schedule = (): void => {
    if (timer) return;
    const wait = Math.max(0, last + READ_INTERVAL_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      setOrder(timelineOrder(doc));
    }, wait);
  };
  const stop = observeTimeline(doc, schedule);
  onCleanup(() => {
    stop();
    if (timer) clearTimeout(timer);
  });
  return {
    total: () => order().length,
    matching: () => filtered().length,
    live,
    entries,
    textOf: (id) => {
      const ref = onScreen.get(id);
      return ref ? timelineRefText(ref) : entryText(doc, id);
    },
  };
}

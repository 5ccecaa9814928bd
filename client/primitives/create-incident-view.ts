/**
 * The open incident as a Solid store that follows its Y.Doc: every local or remote change is
 * read back through the shared accessors (validated) and reconciled by id, so only the parts
 * that changed re-render. Reads are coalesced to one per ~50 ms while many updates stream in.
 */
import { createStore, reconcile } from 'solid-js/store';
import { onCleanup } from 'solid-js';
import type * as Y from 'yjs';
import { observeIncident, readIncident } from '../../shared/incident-doc.ts';
import type { IncidentMeta, Task, TimelineEntry } from '../../shared/incident-schema.ts';

export interface IncidentState {
  /** Null until the document holds an incident. */
  meta: IncidentMeta | null;
  timeline: TimelineEntry[];
  tasks: Task[];
  /** What failed validation and was replaced by safe defaults. */
  problems: string[];
}

const READ_INTERVAL_MS = 50;

export function createIncidentView(doc: Y.Doc): IncidentState {
  const [state, setState] = createStore<IncidentState>({ meta: null, timeline: [], tasks: [], problems: [] });
  const read = (): void => {
    const result = readIncident(doc);
    if (!result) {
      setState({ meta: null, timeline: [], tasks: [], problems: [] });
      return;
    }
    const { meta, timeline, tasks } = result.incident;
    setState('meta', reconcile(meta));
    setState('timeline', reconcile(timeline, { key: 'id' }));
    setState('tasks', reconcile(tasks, { key: 'id' }));
    setState('problems', reconcile(result.problems));
  };
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const schedule = (): void => {
    if (timer) return;
    const wait = Math.max(0, last + READ_INTERVAL_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      read();
    }, wait);
  };
  read();
  const stop = observeIncident(doc, schedule);
  onCleanup(() => {
    stop();
    if (timer) clearTimeout(timer);
  });
  return state;
}

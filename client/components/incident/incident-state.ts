/**
 * The open incident's fields and tasks as a Solid store that follows its Y.Doc: every local or
 * remote change is read back through the shared accessors (validated) and reconciled, so only
 * the parts that changed re-render. Reads are coalesced to one per ~50 ms while updates stream
 * in. The timeline is not read here: the timeline reads only the entries it shows
 * (timeline-window.ts); its entries are validated for the problem list in slices of idle time,
 * a second after the timeline last changed, so opening a 5,000-entry incident does not wait for it.
 */
import { onCleanup } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type * as Y from 'yjs';
import { checkTimelineRange, isIncidentDoc, observeMetaAndTasks, observeTimeline, readMeta, readTasks, timelineLength } from '../../../shared/incident-doc.ts';
import type { IncidentMeta, Task } from '../../../shared/incident-schema.ts';
import { whenIdle, type IdleDeadline } from './after-paint.ts';

export interface IncidentState {
  /** Null until the document holds an incident. */
  meta: IncidentMeta | null;
  tasks: Task[];
  /** What failed validation and was replaced by safe defaults or left out. */
  problems: string[];
}

const READ_INTERVAL_MS = 50;
const TIMELINE_CHECK_DELAY_MS = 1_000;
/** Timeline items validated between two looks at the idle deadline (~2 ms of work). */
const CHECK_SLICE = 250;

export function createIncidentState(doc: Y.Doc): IncidentState {
  const [state, setState] = createStore<IncidentState>({ meta: null, tasks: [], problems: [] });
  let fieldProblems: string[] = [];
  let timelineProblems: string[] = [];
  const publishProblems = (): void => {
    setState('problems', reconcile([...fieldProblems, ...timelineProblems]));
  };

  const read = (): void => {
    if (!isIncidentDoc(doc)) {
      fieldProblems = [];
      setState({ meta: null, tasks: [] });
      publishProblems();
      return;
    }
    const problems: string[] = [];
    const meta = readMeta(doc, problems);
    const tasks = readTasks(doc, problems);
    fieldProblems = problems;
    setState('meta', reconcile(meta));
    setState('tasks', reconcile(tasks, { key: 'id' }));
    publishProblems();
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

  // The timeline check runs in slices of idle time and starts over when the timeline changes.
  let checkTimer: ReturnType<typeof setTimeout> | null = null;
  let cancelIdle: (() => void) | null = null;
  const checkSlice = (cursor: number, found: string[], deadline: IdleDeadline): void => {
    cancelIdle = null;
    const length = isIncidentDoc(doc) ? timelineLength(doc) : 0;
    let at = cursor;
    do {
      checkTimelineRange(doc, at, Math.min(length, at + CHECK_SLICE), found);
      at += CHECK_SLICE;
    } while (at < length && deadline.timeRemaining() > 1);
    if (at < length) {
      cancelIdle = whenIdle((next) => checkSlice(at, found, next));
      return;
    }
    timelineProblems = found;
    publishProblems();
  };
  const scheduleCheck = (): void => {
    if (checkTimer) clearTimeout(checkTimer);
    cancelIdle?.();
    cancelIdle = null;
    checkTimer = setTimeout(() => {
      checkTimer = null;
      cancelIdle = whenIdle((deadline) => checkSlice(0, [], deadline));
    }, TIMELINE_CHECK_DELAY_MS);
  };

  read();
  scheduleCheck();
  const stopFields = observeMetaAndTasks(doc, schedule);
  const stopTimeline = observeTimeline(doc, scheduleCheck);
  onCleanup(() => {
    stopFields();
    stopTimeline();
    if (timer) clearTimeout(timer);
    if (checkTimer) clearTimeout(checkTimer);
    cancelIdle?.();
  });
  return state;
}

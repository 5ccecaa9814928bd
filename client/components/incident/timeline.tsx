/**
 * The incident timeline, oldest first and newest at the bottom next to the "add note" box: the
 * header (count, display zone), the filter bar (in the URL), and the last page of the entries the
 * filter lets through (timeline-window.ts reads only those from the document); earlier ones load
 * on request. Each entry is drawn by timeline-item.tsx, its body by a component per kind beside it
 * (entry-*.tsx, run-entry.tsx).
 */
import { useNavigate, useSearch } from '@tanstack/solid-router';
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { timelineEvidence } from '../../../shared/incident-doc.ts';
import { useApp } from '../../app-context.tsx';
import { createPainted } from './after-paint.ts';
import { lostEdits } from './field-conflicts.ts';
import { NoteComposer } from './note-composer.tsx';
import {
  isFiltering,
  NO_TIMELINE_FILTER,
  timelineFilterOf,
  timelineMatcher,
  toTimelineSearch,
  type TimelineFilter,
  type TimelineSearch,
} from './timeline-filter.ts';
import { TimelineItem } from './timeline-item.tsx';
import { FilterBar, ZonePicker } from './timeline-toolbar.tsx';
import { createTimelineWindow } from './timeline-window.ts';
import './timeline.css';

const PAGE = 100;
/** Rows rendered in the first frame: more than a screenful below the header and description. */
const FIRST_PAINT_ROWS = 20;

export function Timeline(props: { doc: Y.Doc; awareness: Awareness; readOnly?: boolean }): JSX.Element {
  const [shown, setShown] = createSignal(PAGE);
  const search = useSearch({ strict: false }) as () => TimelineSearch;
  const navigate = useNavigate();
  const filter = createMemo(() => timelineFilterOf(search()), NO_TIMELINE_FILTER, {
    equals: (a, b) => a.kind === b.kind && a.author === b.author && a.q === b.q && a.auto === b.auto,
  });
  const setFilter = (patch: Partial<TimelineFilter>): void => {
    const next = toTimelineSearch({ ...filter(), ...patch });
    void navigate({
      to: '.',
      search: (prev: Record<string, unknown>) => {
        const rest = Object.fromEntries(Object.entries(prev).filter(([k]) => !k.startsWith('tl_')));
        return { ...rest, ...next };
      },
      replace: true,
    } as never);
  };
  const matcher = createMemo(() => (isFiltering(filter()) ? timelineMatcher(filter()) : null));
  const timeline = createTimelineWindow(props.doc, shown, matcher);
  const hidden = (): number => Math.max(0, timeline.matching() - shown());
  const count = timeline.live;
  // The first frame renders the top of the list (what is on screen when the page opens); the
  // rest of the page of entries mounts once it has painted.
  const painted = createPainted();
  const rows = createMemo(() => (painted() ? timeline.entries : timeline.entries.slice(0, FIRST_PAINT_ROWS)));
  // Re-read only when the timeline grows (a new item is a new entry), not on every edit; one
  // info read per entry.
  const entryCount = createMemo(() => timeline.total());
  // The user's field changes on screen that a concurrent edit replaced (the merge kept another value).
  const app = useApp();
  const lost = createMemo(() => (timeline.total(), lostEdits(timeline.entries, app.authorName(), (field) => props.doc.getMap('meta').get(field) ?? null)));
  const evidence = createMemo(() => (entryCount(), timelineEvidence(props.doc)), [], {
    equals: (a, b) => a.length === b.length && a.every((e, i) => e.id === b[i]?.id),
  });
  return (
    <section class="card timeline" data-testid="timeline" data-count={timeline.total()} aria-labelledby="timeline-title">
      <div class="card-head">
        <h2 id="timeline-title">Timeline</h2>
        <span class="muted">
          {count()} {count() === 1 ? 'entry' : 'entries'}
          <Show when={isFiltering(filter())}>
            {' '}
            · <span data-testid="timeline-matching">{timeline.matching()} shown by the filter</span>
          </Show>
        </span>
        <ZonePicker />
      </div>
      <FilterBar filter={filter()} onChange={setFilter} />
      <Show when={hidden() > 0}>
        <button type="button" class="btn show-earlier" onClick={() => setShown((n) => n + PAGE * 5)}>
          Show {Math.min(hidden(), PAGE * 5)} earlier entries ({hidden()} hidden)
        </button>
      </Show>
      <Show when={isFiltering(filter()) && timeline.matching() === 0}>
        <p class="muted" data-testid="timeline-no-match">
          No entry matches the filter.{' '}
          <button type="button" class="link-btn" onClick={() => setFilter(NO_TIMELINE_FILTER)}>
            Clear the filter
          </button>
        </p>
      </Show>
      <ol class="tl-list">
        <For each={rows()}>
          {(entry) => (
            <TimelineItem
              doc={props.doc}
              awareness={props.awareness}
              entry={entry}
              text={timeline.textOf}
              evidence={evidence()}
              readOnly={props.readOnly ?? false}
              lost={lost().get(entry.id) ?? null}
            />
          )}
        </For>
      </ol>
      <Show when={!props.readOnly}>
        <NoteComposer doc={props.doc} />
      </Show>
    </section>
  );
}

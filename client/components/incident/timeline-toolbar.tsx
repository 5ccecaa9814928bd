/**
 * The timeline's header controls: the zone every time is shown in, and the filter bar (kind,
 * author, words, hide automation) whose values live in the URL (timeline-filter.ts).
 */
import { createUniqueId, For, onCleanup, Show, type JSX } from 'solid-js';
import { TIMELINE_KINDS, type TimelineKind } from '../../../shared/incident-schema.ts';
import { kindLabel } from '../labels.ts';
import { zoneName } from '../time-format.ts';
import { chooseDisplayZone, deviceZone, displayZone, UTC } from '../time-zone.ts';
import { isFiltering, NO_TIMELINE_FILTER, type TimelineFilter } from './timeline-filter.ts';

/** The zone every time on screen is shown in: UTC, or this device's zone (kept per user). */
export function ZonePicker(): JSX.Element {
  const id = createUniqueId();
  const device = deviceZone();
  return (
    <label class="tl-zone" for={id}>
      <span>Times in</span>
      <select id={id} value={displayZone()} onChange={(e) => chooseDisplayZone(e.currentTarget.value)} data-testid="timeline-zone">
        <option value={UTC}>UTC</option>
        <Show when={device !== UTC}>
          <option value={device}>
            {device} ({zoneName(device)}, this device)
          </option>
        </Show>
        <Show when={displayZone() !== UTC && displayZone() !== device}>
          <option value={displayZone()}>{displayZone()}</option>
        </Show>
      </select>
    </label>
  );
}

const FILTER_KINDS: readonly TimelineKind[] = TIMELINE_KINDS;

/** Kind, author, words, and "show automation"; every change goes into the URL. */
export function FilterBar(props: { filter: TimelineFilter; onChange: (patch: Partial<TimelineFilter>) => void }): JSX.Element {
  const id = createUniqueId();
  // Typing updates the URL after a pause, not per keystroke.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = (patch: Partial<TimelineFilter>): void => {
    clearTimeout(timer);
    timer = setTimeout(() => props.onChange(patch), 250);
  };
  onCleanup(() => clearTimeout(timer));
  return (
    <form class="tl-filter" role="search" aria-label="Filter the timeline" onSubmit={(e) => e.preventDefault()} data-testid="timeline-filter">
      <label for={`${id}-kind`}>
        <span>Kind</span>
        <select
          id={`${id}-kind`}
          value={props.filter.kind}
          onChange={(e) => props.onChange({ kind: e.currentTarget.value as TimelineKind | '' })}
          data-testid="timeline-filter-kind"
        >
          <option value="">All kinds</option>
          <For each={FILTER_KINDS}>{(k) => <option value={k}>{kindLabel(k)}</option>}</For>
        </select>
      </label>
      <label for={`${id}-author`}>
        <span>Author</span>
        <input
          id={`${id}-author`}
          type="search"
          maxLength={200}
          value={props.filter.author}
          onInput={(e) => later({ author: e.currentTarget.value })}
          data-testid="timeline-filter-author"
        />
      </label>
      <label for={`${id}-q`} class="tl-filter-q">
        <span>Search</span>
        <input
          id={`${id}-q`}
          type="search"
          maxLength={200}
          value={props.filter.q}
          onInput={(e) => later({ q: e.currentTarget.value })}
          placeholder="Words in the text"
          data-testid="timeline-filter-q"
        />
      </label>
      <label class="tl-filter-auto">
        <input
          type="checkbox"
          checked={!props.filter.auto}
          onChange={(e) => props.onChange({ auto: !e.currentTarget.checked })}
          data-testid="timeline-hide-automation"
        />
        <span>Hide automation</span>
      </label>
      <Show when={isFiltering(props.filter)}>
        <button type="button" class="btn small" onClick={() => props.onChange(NO_TIMELINE_FILTER)}>
          Clear
        </button>
      </Show>
    </form>
  );
}

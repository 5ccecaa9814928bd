/**
 * The incident timeline, oldest first and newest at the bottom next to the "add note" box.
 * Notes are co-edited in place (each a Y.Text); status and field changes read as sentences.
 * Long timelines show their latest entries first and load earlier ones on request. Any entry can
 * be linked to the incident's evidence items (known from their timeline entries, so offline too).
 */
import { Link, useNavigate, useSearch } from '@tanstack/solid-router';
import { createMemo, createSignal, createUniqueId, For, Match, onCleanup, Show, Switch, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { editorOf } from '../../../shared/incident-guard.ts';
import { addTimelineEntry, markEntryEdited, setEntryEvidence, timelineEvidence, updateTimelineEntry, type TimelineEvidence } from '../../../shared/incident-doc.ts';
import { LIMITS, RESOLUTION_LABELS, TIMELINE_KINDS, type Resolution, type TimelineEntry, type TimelineKind } from '../../../shared/incident-schema.ts';
import { isStatus } from '../../../shared/workflow.ts';
import { useApp } from '../../app-context.tsx';
import { fieldLabel, kindLabel, statusLabel } from '../labels.ts';
import { absoluteTime, fromLocalInput, stampTime, toLocalInput, zoneName } from '../time-format.ts';
import { chooseDisplayZone, deviceZone, displayZone, UTC } from '../time-zone.ts';
import { RunEntry, isRunEntry } from './run-entry.tsx';
import { isFiltering, NO_TIMELINE_FILTER, timelineFilterOf, timelineMatcher, toTimelineSearch, type TimelineFilter, type TimelineSearch } from './timeline-filter.ts';
import { createPainted } from './after-paint.ts';
import { LazyCollabText } from './collab-text.tsx';
import { createTimelineWindow } from './timeline-window.ts';
import { lostEdits, type LostEdit } from './field-conflicts.ts';
import './timeline.css';
import { AlertMessage } from '../alert-message.tsx';

const PAGE = 100;
/** Rows rendered in the first frame: more than a screenful below the header and description. */
const FIRST_PAINT_ROWS = 20;

export function Timeline(props: { doc: Y.Doc; awareness: Awareness; readOnly?: boolean }): JSX.Element {
  const [shown, setShown] = createSignal(PAGE);
  const search = useSearch({ strict: false }) as () => TimelineSearch;
  const navigate = useNavigate();
  const filter = createMemo(() => timelineFilterOf(search()), NO_TIMELINE_FILTER, { equals: (a, b) => a.kind === b.kind && a.author === b.author && a.q === b.q && a.auto === b.auto });
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
  const evidence = createMemo(() => (entryCount(), timelineEvidence(props.doc)), [], { equals: (a, b) => a.length === b.length && a.every((e, i) => e.id === b[i]?.id) });
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
          {(entry) => <TimelineItem doc={props.doc} awareness={props.awareness} entry={entry} text={timeline.textOf} evidence={evidence()} readOnly={props.readOnly ?? false} lost={lost().get(entry.id) ?? null} />}
        </For>
      </ol>
      <Show when={!props.readOnly}>
        <NoteComposer doc={props.doc} />
      </Show>
    </section>
  );
}

/** The zone every time on screen is shown in: UTC, or this device's zone (kept per user). */
function ZonePicker(): JSX.Element {
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
function FilterBar(props: { filter: TimelineFilter; onChange: (patch: Partial<TimelineFilter>) => void }): JSX.Element {
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
        <select id={`${id}-kind`} value={props.filter.kind} onChange={(e) => props.onChange({ kind: e.currentTarget.value as TimelineKind | '' })} data-testid="timeline-filter-kind">
          <option value="">All kinds</option>
          <For each={FILTER_KINDS}>{(k) => <option value={k}>{kindLabel(k)}</option>}</For>
        </select>
      </label>
      <label for={`${id}-author`}>
        <span>Author</span>
        <input id={`${id}-author`} type="search" maxLength={200} value={props.filter.author} onInput={(e) => later({ author: e.currentTarget.value })} data-testid="timeline-filter-author" />
      </label>
      <label for={`${id}-q`} class="tl-filter-q">
        <span>Search</span>
        <input id={`${id}-q`} type="search" maxLength={200} value={props.filter.q} onInput={(e) => later({ q: e.currentTarget.value })} placeholder="Words in the text" data-testid="timeline-filter-q" />
      </label>
      <label class="tl-filter-auto">
        <input type="checkbox" checked={!props.filter.auto} onChange={(e) => props.onChange({ auto: !e.currentTarget.checked })} data-testid="timeline-hide-automation" />
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

const showValue = (v: unknown): string => (v === null || v === undefined || v === '' ? '(none)' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function describeChange(entry: TimelineEntry): string {
  const data = entry.data ?? {};
  if (entry.kind === 'status_change') {
    const from = isStatus(data['from']) ? statusLabel(data['from']) : String(data['from'] ?? '?');
    const to = isStatus(data['to']) ? statusLabel(data['to']) : String(data['to'] ?? '?');
    const resolution = typeof data['resolution'] === 'string' && data['resolution'] in RESOLUTION_LABELS ? RESOLUTION_LABELS[data['resolution'] as Resolution] : null;
    return `Status changed from ${from} to ${to}${resolution ? ` (resolution: ${resolution})` : ''}`;
  }
  if (data['correction'] === true && typeof data['field'] === 'string') {
    const at = (v: unknown): string => (typeof v === 'string' ? absoluteTime(v) : '(none)');
    return `${fieldLabel(data['field'])} corrected from ${at(data['from'])} to ${at(data['to'])}`;
  }
  if (data['field'] === 'entry_time') {
    const at = (v: unknown): string => (typeof v === 'string' ? absoluteTime(v) : '(none)');
    return `Event time of an entry corrected from ${at(data['from'])} to ${at(data['to'])}`;
  }
  if (data['field'] === 'breach') {
    const to = data['to'];
    if (typeof to === 'object' && to !== null && typeof (to as Record<string, unknown>)['regulation'] === 'string') {
      return `Marked as a personal-data breach (${String((to as Record<string, unknown>)['regulation'])}); the notification clock started`;
    }
    return 'No longer marked as a personal-data breach';
  }
  const field = typeof data['field'] === 'string' ? fieldLabel(data['field']) : 'A field';
  const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '(none)' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `${field} changed from ${show(data['from'])} to ${show(data['to'])}`;
}

function TimelineItem(props: { doc: Y.Doc; awareness: Awareness; entry: TimelineEntry; text: (id: string) => Y.Text | null; evidence: readonly TimelineEvidence[]; readOnly: boolean; lost: LostEdit | null }): JSX.Element {
  const app = useApp();
  const text = createMemo<Y.Text | null>(() => (props.entry.kind === 'note' ? props.text(props.entry.id) : null));
  const [correcting, setCorrecting] = createSignal(false);
  // The server's rule (shared/incident-guard.ts): a note's author, or a lead or admin.
  const mayModerate = (): boolean => {
    const m = app.me();
    return m !== null && (props.entry.author === app.authorName() || editorOf({ name: app.authorName(), role: m.user.role }).moderator);
  };
  const setDeleted = (deleted: boolean): void => {
    updateTimelineEntry(props.doc, props.entry.id, { deleted, by: app.authorName() });
  };
  // Say who edited a note's text, once per pause in typing (the text itself is co-edited in place).
  const stampEdits = (t: Y.Text): void => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onChange = (_e: Y.YTextEvent, tr: Y.Transaction): void => {
      if (!tr.local || props.readOnly) return;
      clearTimeout(timer);
      timer = setTimeout(() => markEntryEdited(props.doc, props.entry.id, app.authorName()), 1_500);
    };
    t.observe(onChange);
    onCleanup(() => {
      t.unobserve(onChange);
      clearTimeout(timer);
    });
  };
  const recordedApart = (): boolean => Math.abs(Date.parse(props.entry.createdAt) - Date.parse(props.entry.at)) >= 1_000;
  return (
    <li class="tl-entry" data-kind={props.entry.kind} classList={{ deleted: props.entry.deleted }} data-testid="timeline-entry">
      <div class="tl-meta">
        <time dateTime={props.entry.at} title={`Happened ${absoluteTime(props.entry.at)}`} data-testid="timeline-at">
          {stampTime(props.entry.at, app.now())}
        </time>
        <Show when={recordedApart()}>
          <span class="tl-recorded" data-testid="timeline-recorded">
            recorded <time dateTime={props.entry.createdAt}>{stampTime(props.entry.createdAt, app.now())}</time>
          </span>
        </Show>
        <span class="tl-kind">{kindLabel(props.entry.kind)}</span>
        <span class="tl-author">{props.entry.author}</span>
        <Show when={props.entry.editedAt && !props.entry.deleted}>
          <span class="tl-edited small" data-testid="timeline-edited">
            edited{props.entry.editedBy ? ` by ${props.entry.editedBy}` : ''} at <time dateTime={props.entry.editedAt ?? ''}>{stampTime(props.entry.editedAt ?? '', app.now())}</time>
          </span>
        </Show>
        <Show when={props.entry.kind === 'note' && !props.entry.deleted && !props.readOnly && mayModerate()}>
          <span class="tl-actions">
            <button type="button" class="link-btn" onClick={() => setCorrecting((c) => !c)} aria-expanded={correcting()} aria-label="Correct when this happened">
              Correct time
            </button>
            <button type="button" class="link-btn tl-delete" onClick={() => setDeleted(true)} aria-label="Delete this note">
              Delete
            </button>
          </span>
        </Show>
      </div>
      <Show when={correcting()}>
        <TimeCorrection doc={props.doc} entry={props.entry} onDone={() => setCorrecting(false)} />
      </Show>
      <Switch fallback={<p class="tl-text">{props.entry.text}</p>}>
        <Match when={props.entry.deleted}>
          <p class="tl-text muted" data-testid="timeline-deleted">
            This entry was deleted
            {props.entry.deletedBy ? ` by ${props.entry.deletedBy}` : ''}
            <Show when={props.entry.deletedAt}>
              {(at) => (
                <>
                  {' '}
                  at <time dateTime={at()}>{absoluteTime(at())}</time>
                </>
              )}
            </Show>
            .{' '}
            <Show when={!props.readOnly && mayModerate()}>
              <button type="button" class="link-btn" onClick={() => setDeleted(false)}>
                Restore
              </button>
            </Show>
          </p>
        </Match>
        <Match when={text()}>
          {(t) => {
            stampEdits(t());
            return (
              <LazyCollabText
                text={t()}
                awareness={props.awareness}
                plain={props.entry.text}
                label={`Note by ${props.entry.author}`}
                readOnly={props.readOnly}
                class="tl-text tl-note"
              />
            );
          }}
        </Match>
        <Match when={isRunEntry(props.entry)}>
          <RunEntry entry={props.entry} />
        </Match>
        <Match when={props.entry.kind === 'alert'}>
          <AlertEntry entry={props.entry} />
        </Match>
        <Match when={props.entry.kind === 'evidence' && evidenceIdOf(props.entry)}>
          {(id) => (
            <p class="tl-text">
              {props.entry.text}{' '}
              <button type="button" class="link-btn small" onClick={() => showEvidence(id())}>
                Show item
              </button>
            </p>
          )}
        </Match>
        <Match when={props.entry.kind === 'status_change' || props.entry.kind === 'field_change'}>
          <p class="tl-text">
            {describeChange(props.entry)}
            <Show when={props.entry.text}>
              <span class="muted"> — {props.entry.text}</span>
            </Show>
          </p>
          <Show when={props.lost}>
            {(l) => (
              <p class="tl-conflict" role="status" data-testid="timeline-lost-edit">
                Your value {showValue(l().mine)} was not kept: a concurrent edit by {l().by} set {fieldLabel(l().field)} to {showValue(l().now)}. Set it again if yours should stand.
              </p>
            )}
          </Show>
        </Match>
      </Switch>
      <Show when={!props.entry.deleted}>
        <EvidenceLinks doc={props.doc} entry={props.entry} evidence={props.evidence} readOnly={props.readOnly} />
      </Show>
    </li>
  );
}

/** Correct when a note's event happened (its author or a lead); recorded as a field change with the reason. */
function TimeCorrection(props: { doc: Y.Doc; entry: TimelineEntry; onDone: () => void }): JSX.Element {
  const app = useApp();
  const id = createUniqueId();
  const [at, setAt] = createSignal(toLocalInput(props.entry.at));
  const [reason, setReason] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const save = (e: Event): void => {
    e.preventDefault();
    const when = fromLocalInput(at());
    if (!when) {
      setError('Give the date and time it happened.');
      return;
    }
    const r = updateTimelineEntry(props.doc, props.entry.id, { at: when, by: app.authorName(), reason: reason() });
    if (!r.ok) {
      setError(r.error);
      return;
    }
    props.onDone();
  };
  return (
    <form class="tl-correct" onSubmit={save} data-testid="timeline-correct-time">
      <label for={`${id}-at`}>
        <span>Happened at ({zoneName()})</span>
        <input id={`${id}-at`} type="datetime-local" step="1" value={at()} onInput={(e) => setAt(e.currentTarget.value)} required />
      </label>
      <label for={`${id}-why`}>
        <span>Why (optional)</span>
        <input id={`${id}-why`} type="text" maxLength={LIMITS.shortText * 2} value={reason()} onInput={(e) => setReason(e.currentTarget.value)} placeholder="e.g. time from the EDR log" />
      </label>
      <button type="submit" class="btn small primary">
        Save time
      </button>
      <button type="button" class="btn small" onClick={() => props.onDone()}>
        Cancel
      </button>
      <AlertMessage message={error()} />
    </form>
  );
}

/** The evidence item an `evidence` entry records. */
function evidenceIdOf(entry: TimelineEntry): string | null {
  const id = entry.data?.['evidence_id'];
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
}

/** Scroll the evidence panel's row of this item into view and focus it. */
function showEvidence(id: string): void {
  const row = document.getElementById(`evidence-${id}`);
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  row.focus({ preventScroll: true });
}

/**
 * The evidence linked to an entry (each a link to its row in the evidence panel, with Unlink),
 * and "Link evidence" to pick one of the incident's other items.
 */
function EvidenceLinks(props: { doc: Y.Doc; entry: TimelineEntry; evidence: readonly TimelineEvidence[]; readOnly: boolean }): JSX.Element {
  const [picking, setPicking] = createSignal(false);
  const [choice, setChoice] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const nameOf = (id: string): string => props.evidence.find((e) => e.id === id)?.name ?? `evidence ${id.slice(0, 8)}`;
  // The item an `evidence` entry records is that entry's subject, not something to link.
  const linkable = createMemo(() => props.evidence.filter((e) => e.entryId !== props.entry.id && !props.entry.evidence.includes(e.id)));
  // Links are added from notes (what analysts write); any entry shows the links it has.
  const canLink = (): boolean => !props.readOnly && props.entry.kind === 'note' && linkable().length > 0;
  const set = (id: string, linked: boolean): void => {
    const r = setEntryEvidence(props.doc, props.entry.id, id, linked);
    setError(r.ok ? null : r.error);
    if (r.ok && linked) {
      setPicking(false);
      setChoice('');
    }
  };
  return (
    <Show when={props.entry.evidence.length > 0 || canLink()}>
      <div class="tl-evidence" data-testid="timeline-evidence">
        <For each={props.entry.evidence}>
          {(id) => (
            <span class="chip tl-evidence-link">
              <button type="button" class="link-btn" title="Show it in the evidence panel" onClick={() => showEvidence(id)}>
                {nameOf(id)}
              </button>
              <Show when={!props.readOnly}>
                <button type="button" class="chip-remove" aria-label={`Unlink ${nameOf(id)}`} title="Unlink" onClick={() => set(id, false)}>
                  ×
                </button>
              </Show>
            </span>
          )}
        </For>
        <Show when={canLink()}>
          <Show
            when={picking()}
            fallback={
              <button type="button" class="link-btn small" onClick={() => setPicking(true)} data-testid="timeline-link-evidence">
                Link evidence
              </button>
            }
          >
            <form
              class="tl-evidence-pick"
              onSubmit={(e) => {
                e.preventDefault();
                if (choice()) set(choice(), true);
                else setError('Choose an item to link.');
              }}
            >
              <select aria-label="Evidence to link" value={choice()} onChange={(e) => setChoice(e.currentTarget.value)}>
                <option value="">Choose evidence…</option>
                <For each={linkable()}>{(e) => <option value={e.id}>{e.name}</option>}</For>
              </select>
              <button type="submit" class="btn small">
                Link
              </button>
              <button type="button" class="btn small" onClick={() => setPicking(false)}>
                Cancel
              </button>
            </form>
          </Show>
        </Show>
        <AlertMessage message={error()} />
      </div>
    </Show>
  );
}

/** An alert that opened or joined the incident: its title, source, score, count and a link to it. */
function AlertEntry(props: { entry: TimelineEntry }): JSX.Element {
  const data = (): Record<string, unknown> => props.entry.data ?? {};
  const alertId = (): string | null => {
    const id = data()['alert_id'];
    return typeof id === 'string' && id.length <= 64 ? id : null;
  };
  const num = (k: string): number | null => (typeof data()[k] === 'number' ? (data()[k] as number) : null);
  return (
    <p class="tl-text">
      {props.entry.text}
      <span class="muted small">
        {typeof data()['source'] === 'string' ? ` · ${String(data()['source'])}` : ''}
        {num('score') !== null ? ` · score ${Math.round(num('score') ?? 0)}` : ''}
        {(num('count') ?? 1) > 1 ? ` · seen ${num('count')}×` : ''}
      </span>{' '}
      <Show when={alertId()}>
        {(id) => (
          <Link to="/alerts/$id" params={{ id: id() }} class="small" data-testid="timeline-alert-link">
            View alert
          </Link>
        )}
      </Show>
    </p>
  );
}

function NoteComposer(props: { doc: Y.Doc }): JSX.Element {
  const app = useApp();
  const [text, setText] = createSignal('');
  const [at, setAt] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  let input: HTMLTextAreaElement | undefined;
  const submit = (e?: Event): void => {
    e?.preventDefault();
    const value = text().trim();
    if (!value) {
      setError('Write something first.');
      input?.focus();
      return;
    }
    const when = fromLocalInput(at());
    const added = addTimelineEntry(props.doc, { kind: 'note', text: value, author: app.authorName(), ...(when ? { at: when } : {}) });
    if (!added.ok) {
      setError(added.error);
      return;
    }
    setError(null);
    setText('');
    setAt('');
    input?.focus();
  };
  return (
    <form class="composer" onSubmit={submit}>
      <label for="note-input">Add a note</label>
      <textarea
        id="note-input"
        ref={input}
        data-testid="note-input"
        rows={3}
        maxLength={LIMITS.noteText}
        placeholder="What happened, what you did, what you found. Ctrl+Enter to add."
        value={text()}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}
      />
      <div class="composer-row">
        <label class="composer-time">
          <span>Happened at ({zoneName()}, optional)</span>
          <input type="datetime-local" step="1" value={at()} onInput={(e) => setAt(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn primary" data-testid="add-note">
          Add note
        </button>
      </div>
      <AlertMessage message={error()} />
    </form>
  );
}

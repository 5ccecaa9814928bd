/**
 * The incident timeline, oldest first and newest at the bottom next to the "add note" box.
 * Notes are co-edited in place (each a Y.Text); status and field changes read as sentences.
 * Long timelines show their latest entries first and load earlier ones on request. Any entry can
 * be linked to the incident's evidence items (known from their timeline entries, so offline too).
 */
import { Link } from '@tanstack/solid-router';
import { createMemo, createSignal, For, Match, Show, Switch, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { editorOf } from '../../../shared/incident-guard.ts';
import { addTimelineEntry, setEntryEvidence, timelineEvidence, updateTimelineEntry, type TimelineEvidence } from '../../../shared/incident-doc.ts';
import { LIMITS, type TimelineEntry } from '../../../shared/incident-schema.ts';
import { isStatus } from '../../../shared/workflow.ts';
import { useApp } from '../../app-context.tsx';
import { fieldLabel, kindLabel, statusLabel } from '../labels.ts';
import { absoluteTime, fromLocalInput, stampTime } from '../time-format.ts';
import { createPainted } from './after-paint.ts';
import { LazyCollabText } from './collab-text.tsx';
import { createTimelineWindow } from './timeline-window.ts';
import { AlertMessage } from '../alert-message.tsx';

const PAGE = 100;
/** Rows rendered in the first frame: more than a screenful below the header and description. */
const FIRST_PAINT_ROWS = 20;

export function Timeline(props: { doc: Y.Doc; awareness: Awareness; readOnly?: boolean }): JSX.Element {
  const [shown, setShown] = createSignal(PAGE);
  const timeline = createTimelineWindow(props.doc, shown);
  const hidden = (): number => Math.max(0, timeline.total() - shown());
  const count = timeline.live;
  // The first frame renders the top of the list (what is on screen when the page opens); the
  // rest of the page of entries mounts once it has painted.
  const painted = createPainted();
  const rows = createMemo(() => (painted() ? timeline.entries : timeline.entries.slice(0, FIRST_PAINT_ROWS)));
  // Re-read only when the timeline grows (a new item is a new entry), not on every edit; one
  // info read per entry.
  const entryCount = createMemo(() => timeline.total());
  const evidence = createMemo(() => (entryCount(), timelineEvidence(props.doc)), [], { equals: (a, b) => a.length === b.length && a.every((e, i) => e.id === b[i]?.id) });
  return (
    <section class="card timeline" data-testid="timeline" data-count={timeline.total()} aria-labelledby="timeline-title">
      <div class="card-head">
        <h2 id="timeline-title">Timeline</h2>
        <span class="muted">{count()} {count() === 1 ? 'entry' : 'entries'}</span>
      </div>
      <Show when={hidden() > 0}>
        <button type="button" class="btn show-earlier" onClick={() => setShown((n) => n + PAGE * 5)}>
          Show {Math.min(hidden(), PAGE * 5)} earlier entries ({hidden()} hidden)
        </button>
      </Show>
      <ol class="tl-list">
        <For each={rows()}>
          {(entry) => <TimelineItem doc={props.doc} awareness={props.awareness} entry={entry} text={timeline.textOf} evidence={evidence()} readOnly={props.readOnly ?? false} />}
        </For>
      </ol>
      <Show when={!props.readOnly}>
        <NoteComposer doc={props.doc} />
      </Show>
    </section>
  );
}

function describeChange(entry: TimelineEntry): string {
  const data = entry.data ?? {};
  if (entry.kind === 'status_change') {
    const from = isStatus(data['from']) ? statusLabel(data['from']) : String(data['from'] ?? '?');
    const to = isStatus(data['to']) ? statusLabel(data['to']) : String(data['to'] ?? '?');
    return `Status changed from ${from} to ${to}`;
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

function TimelineItem(props: { doc: Y.Doc; awareness: Awareness; entry: TimelineEntry; text: (id: string) => Y.Text | null; evidence: readonly TimelineEvidence[]; readOnly: boolean }): JSX.Element {
  const app = useApp();
  const text = createMemo<Y.Text | null>(() => (props.entry.kind === 'note' ? props.text(props.entry.id) : null));
  // The server's rule (shared/incident-guard.ts): a note's author, or a lead or admin.
  const mayDelete = (): boolean => {
    const m = app.me();
    return m !== null && (props.entry.author === app.authorName() || editorOf({ name: app.authorName(), role: m.user.role }).moderator);
  };
  const setDeleted = (deleted: boolean): void => {
    updateTimelineEntry(props.doc, props.entry.id, { deleted });
  };
  return (
    <li class="tl-entry" data-kind={props.entry.kind} classList={{ deleted: props.entry.deleted }} data-testid="timeline-entry">
      <div class="tl-meta">
        <time dateTime={props.entry.at} title={`Happened ${absoluteTime(props.entry.at)} · written ${absoluteTime(props.entry.createdAt)}`}>
          {stampTime(props.entry.at, app.now())}
        </time>
        <span class="tl-kind">{kindLabel(props.entry.kind)}</span>
        <span class="tl-author">{props.entry.author}</span>
        <Show when={props.entry.kind === 'note' && !props.entry.deleted && !props.readOnly && mayDelete()}>
          <button type="button" class="link-btn tl-delete" onClick={() => setDeleted(true)} aria-label="Delete this note">
            Delete
          </button>
        </Show>
      </div>
      <Switch fallback={<p class="tl-text">{props.entry.text}</p>}>
        <Match when={props.entry.deleted}>
          <p class="tl-text muted">
            This entry was deleted.{' '}
            <Show when={!props.readOnly && mayDelete()}>
            <button type="button" class="link-btn" onClick={() => setDeleted(false)}>
              Restore
            </button>
            </Show>
          </p>
        </Match>
        <Match when={text()}>
          {(t) => (
            <LazyCollabText
              text={t()}
              awareness={props.awareness}
              plain={props.entry.text}
              label={`Note by ${props.entry.author}`}
              readOnly={props.readOnly}
              class="tl-text tl-note"
            />
          )}
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
        </Match>
      </Switch>
      <Show when={!props.entry.deleted}>
        <EvidenceLinks doc={props.doc} entry={props.entry} evidence={props.evidence} readOnly={props.readOnly} />
      </Show>
    </li>
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
          <span>Happened at (optional)</span>
          <input type="datetime-local" value={at()} onInput={(e) => setAt(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn primary" data-testid="add-note">
          Add note
        </button>
      </div>
      <AlertMessage message={error()} />
    </form>
  );
}

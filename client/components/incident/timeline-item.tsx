/**
 * One timeline entry: when it happened and when it was recorded (in the display zone, with
 * seconds), its kind and author, who edited or deleted it, and its body by kind — a co-edited
 * note, a playbook run, an alert, an evidence item, a status or field change, a system entry —
 * each from its typed payload (shared/timeline-payloads.ts). An entry whose payload does not
 * parse is shown as written with a warning, never dropped. A note's author (or a lead) may
 * correct when it happened (recorded) and delete it; the server enforces the same rule.
 */
import { createMemo, createSignal, createUniqueId, Match, onCleanup, Show, Switch, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { editorOf } from '../../../shared/incident-guard.ts';
import { markEntryEdited, updateTimelineEntry, type TimelineEvidence } from '../../../shared/incident-doc.ts';
import { LIMITS, type TimelineEntry } from '../../../shared/incident-schema.ts';
import { payloadOf, readPayload } from '../../../shared/timeline-payloads.ts';
import { useApp } from '../../app-context.tsx';
import { AlertMessage } from '../alert-message.tsx';
import { kindLabel } from '../labels.ts';
import { absoluteTime, fromLocalInput, stampTime, toLocalInput, zoneName } from '../time-format.ts';
import { LazyCollabText } from './collab-text.tsx';
import { AlertEntry } from './entry-alert.tsx';
import { ChangeEntry, describeFieldChange, describeStatusChange } from './entry-change.tsx';
import { EvidenceEntry, EvidenceLinks } from './entry-evidence.tsx';
import { SystemEntry } from './entry-system.tsx';
import type { LostEdit } from './field-conflicts.ts';
import { isRunEntry, RunEntry } from './run-entry.tsx';

export function TimelineItem(props: {
  doc: Y.Doc;
  awareness: Awareness;
  entry: TimelineEntry;
  text: (id: string) => Y.Text | null;
  evidence: readonly TimelineEvidence[];
  readOnly: boolean;
  lost: LostEdit | null;
}): JSX.Element {
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
  // A payload that does not parse for its kind: the entry is shown as written, with a warning.
  const unreadable = createMemo(() => {
    const r = readPayload(props.entry);
    return r.ok ? null : r.problem;
  });
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
            edited{props.entry.editedBy ? ` by ${props.entry.editedBy}` : ''} at{' '}
            <time dateTime={props.entry.editedAt ?? ''}>{stampTime(props.entry.editedAt ?? '', app.now())}</time>
          </span>
        </Show>
        <Show when={props.entry.kind === 'note' && !props.entry.deleted && !props.readOnly && mayModerate()}>
          <span class="tl-actions">
            <button
              type="button"
              class="link-btn"
              onClick={() => setCorrecting((c) => !c)}
              aria-expanded={correcting()}
              aria-label="Correct time: when this happened"
            >
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
        <Match when={unreadable()}>
          {(problem) => (
            <>
              <p class="tl-text">{props.entry.text}</p>
              <p class="tl-unreadable small" role="note" data-testid="timeline-unreadable">
                Some details of this entry could not be read ({problem()}); it is shown as written.
              </p>
            </>
          )}
        </Match>
        <Match when={isRunEntry(props.entry)}>
          <RunEntry entry={props.entry} />
        </Match>
        <Match when={payloadOf(props.entry, 'alert')}>{(d) => <AlertEntry text={props.entry.text} data={d()} />}</Match>
        <Match when={payloadOf(props.entry, 'evidence')}>{(d) => <EvidenceEntry text={props.entry.text} data={d()} />}</Match>
        <Match when={payloadOf(props.entry, 'status_change')}>
          {(d) => <ChangeEntry sentence={describeStatusChange(d())} text={props.entry.text} lost={null} />}
        </Match>
        <Match when={payloadOf(props.entry, 'field_change')}>
          {(d) => <ChangeEntry sentence={describeFieldChange(d())} text={props.entry.text} lost={props.lost} />}
        </Match>
        <Match when={payloadOf(props.entry, 'system')}>{(d) => <SystemEntry text={props.entry.text} data={d()} />}</Match>
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
        <input
          id={`${id}-why`}
          type="text"
          maxLength={LIMITS.shortText * 2}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
          placeholder="e.g. time from the EDR log"
        />
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

/**
 * Where the incident is in the NIST SP 800-61 workflow, and the moves it allows from here: only
 * the transitions shared/workflow.ts permits are offered, so a refused one cannot be chosen.
 * Closing asks for confirmation with the resolution (true positive, benign true positive, false
 * positive, duplicate) and a one-line summary; it cannot be confirmed without both. An incident
 * an outdated app closed without them says so (the server keeps such a closing: see
 * server/sync/closing-sync.pg.test.ts).
 */
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { closeIncident, readMeta, setStatus } from '../../../shared/incident-doc.ts';
import { CLOSING_SUMMARY_MAX, RESOLUTION_LABELS, RESOLUTIONS, type Resolution } from '../../../shared/incident-schema.ts';
import { allowedTransitions, STATUSES, type Status } from '../../../shared/workflow.ts';
import { useApp } from '../../app-context.tsx';
import { statusLabel } from '../labels.ts';
import { AlertMessage } from '../alert-message.tsx';

/** The main line of the workflow, drawn as steps (closed is the last one). */
const STEPS = STATUSES;

function verb(from: Status, to: Status): string {
  if (from === 'closed') return 'Reopen';
  if (STEPS.indexOf(to) < STEPS.indexOf(from)) return `Back to ${statusLabel(to)}`;
  if (to === 'closed') return 'Close';
  return `Move to ${statusLabel(to)}`;
}

export function StatusControl(props: { doc: Y.Doc; status: Status; readOnly?: boolean }): JSX.Element {
  const app = useApp();
  const [error, setError] = createSignal<string | null>(null);
  const [closing, setClosing] = createSignal(false);
  // The closing's classification, read again whenever the status changes (it is set with it).
  const ended = createMemo(() => (props.status === 'closed' ? readMeta(props.doc) : null));
  const move = (to: Status): void => {
    if (to === 'closed') {
      setError(null);
      setClosing(true);
      return;
    }
    const result = setStatus(props.doc, to, app.authorName());
    setError(result.ok ? null : result.error.message);
  };
  return (
    <section class="card status-card" aria-labelledby="status-title">
      <h2 id="status-title" class="visually-hidden">
        Status
      </h2>
      <ol class="stepper" aria-label="Workflow">
        <For each={STEPS}>
          {(s) => (
            <li
              class="step"
              data-status={s}
              classList={{ current: s === props.status, past: STEPS.indexOf(s) < STEPS.indexOf(props.status) }}
              aria-current={s === props.status ? 'step' : undefined}
            >
              {statusLabel(s)}
            </li>
          )}
        </For>
      </ol>
      <div class="status-actions">
        <span class="status-now" data-testid="status-current">
          Status: <strong>{statusLabel(props.status)}</strong>
        </span>
        <For each={props.readOnly ? [] : allowedTransitions(props.status)}>
          {(to) => (
            <button
              type="button"
              class="btn"
              classList={{ danger: to === 'closed' }}
              data-testid={`status-button-${to}`}
              aria-expanded={to === 'closed' ? closing() : undefined}
              onClick={() => move(to)}
            >
              {verb(props.status, to)}
            </button>
          )}
        </For>
      </div>
      <Show
        when={ended()?.resolution}
        fallback={
          // Closed by an outdated app (or over the API of an old integration) without the classification.
          <Show when={ended()}>
            <p class="closing-outcome muted" data-testid="closing-outcome-missing">
              Closed without a resolution.{props.readOnly ? '' : ' Reopen and close it again to record one.'}
            </p>
          </Show>
        }
      >
        {(resolution) => (
          <p class="closing-outcome" data-testid="closing-outcome">
            <strong>{RESOLUTION_LABELS[resolution()]}</strong>
            <Show when={ended()?.closingSummary}>{(summary) => <> — {summary()}</>}</Show>
          </p>
        )}
      </Show>
      <Show when={closing() && props.status !== 'closed' && !props.readOnly}>
        <CloseDialog
          onCancel={() => setClosing(false)}
          onConfirm={(resolution, summary) => {
            const result = closeIncident(props.doc, { resolution, summary }, app.authorName());
            if (result.ok) setClosing(false);
            return result.ok ? null : result.error.message;
          }}
        />
      </Show>
      <AlertMessage message={error()} />
    </section>
  );
}

/** The closing's confirmation: a resolution and a one-line summary, both required. */
function CloseDialog(props: { onCancel: () => void; onConfirm: (resolution: Resolution | null, summary: string) => string | null }): JSX.Element {
  const [resolution, setResolution] = createSignal<Resolution | null>(null);
  const [summary, setSummary] = createSignal('');
  const [problem, setProblem] = createSignal<string | null>(null);
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    if (!resolution()) return void setProblem('Choose a resolution.');
    if (!summary().trim()) return void setProblem('Write a one-line summary of how the incident ended.');
    setProblem(props.onConfirm(resolution(), summary()));
  };
  return (
    <form
      class="close-dialog"
      role="dialog"
      aria-modal="false"
      aria-labelledby="close-dialog-title"
      data-testid="close-dialog"
      novalidate
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onCancel();
      }}
    >
      <p id="close-dialog-title">
        <strong>Close this incident?</strong>
      </p>
      <fieldset class="resolution-choice">
        <legend>Resolution</legend>
        <For each={RESOLUTIONS}>
          {(r, i) => (
            <label class="resolution-option">
              <input
                type="radio"
                name="resolution"
                value={r}
                data-testid={`resolution-${r}`}
                checked={resolution() === r}
                ref={(el) => {
                  if (i() === 0) queueMicrotask(() => el.focus());
                }}
                onChange={() => setResolution(r)}
              />
              {RESOLUTION_LABELS[r]}
            </label>
          )}
        </For>
      </fieldset>
      <div class="field">
        <label for="closing-summary">One-line summary</label>
        <input
          id="closing-summary"
          type="text"
          data-testid="closing-summary"
          maxLength={CLOSING_SUMMARY_MAX}
          placeholder="How it ended, in one line"
          value={summary()}
          onInput={(e) => setSummary(e.currentTarget.value)}
        />
      </div>
      <AlertMessage message={problem()} />
      <div class="close-actions">
        <button type="submit" class="btn danger" data-testid="close-confirm">
          Close incident
        </button>
        <button type="button" class="btn" data-testid="close-cancel" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

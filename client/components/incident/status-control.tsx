/**
 * Where the incident is in the NIST SP 800-61 workflow, and the moves it allows from here: only
 * the transitions shared/workflow.ts permits are offered, so a refused one cannot be chosen.
 */
import { createSignal, For, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setStatus } from '../../../shared/incident-doc.ts';
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
  const move = (to: Status): void => {
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
            <button type="button" class="btn" classList={{ danger: to === 'closed' }} data-testid={`status-button-${to}`} onClick={() => move(to)}>
              {verb(props.status, to)}
            </button>
          )}
        </For>
      </div>
      <AlertMessage message={error()} />
    </section>
  );
}

/**
 * Why a gated step cannot act (its connector is not configured), shown on a run card and on an
 * approval request before anyone decides. The messages come from the server: text only.
 */
import { For, Show, type JSX } from 'solid-js';
import type { StepWarning } from '../../../shared/playbooks-api.ts';
import './playbooks.css';

export function StepWarnings(props: { warnings: readonly StepWarning[]; lead?: string }): JSX.Element {
  return (
    <Show when={props.warnings.length > 0}>
      <div class="pb-warnings" role="note" data-testid="step-warnings">
        <strong>{props.lead ?? 'Approving cannot act yet:'}</strong>
        <ul>
          <For each={props.warnings}>
            {(w) => (
              <li data-testid="step-warning" data-step={w.step_id} data-connector={w.connector}>
                <span class="pb-warning-step">{w.step_id}</span>: {w.message}
              </li>
            )}
          </For>
        </ul>
      </div>
    </Show>
  );
}

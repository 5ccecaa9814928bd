/**
 * What an approval request will do if approved: the gated step, its action and what that action
 * does, the connector it goes through, and — plainly, before anyone decides — a warning when that
 * connector is not configured, so approving could not make it happen. Server strings as text.
 */
import { Show, type JSX } from 'solid-js';
import type { Approval } from '../../../shared/playbooks-api.ts';
import { StepWarnings } from './step-warnings.tsx';
import './playbooks.css';

export function ApprovalAction(props: {
  approval: Pick<Approval, 'step_id' | 'step_name' | 'action' | 'action_description' | 'connector' | 'warnings'>;
}): JSX.Element {
  const a = (): typeof props.approval => props.approval;
  return (
    <>
      <Show when={a().action}>
        <p class="small" data-testid="approval-action">
          <strong>If approved:</strong> {a().step_name ?? a().step_id} — <code>{a().action}</code>
          <Show when={a().action_description}>{(d) => <>: {d()}</>}</Show>
          <Show when={a().connector}>{(c) => <> (through the {c()} connector)</>}</Show>
        </p>
      </Show>
      <StepWarnings warnings={a().warnings} lead="Approving cannot act:" />
    </>
  );
}

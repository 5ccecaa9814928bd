/**
 * One playbook run: its state, who or what started it, and every step with its live state,
 * attempt, for_each progress, error and output. Strings from the run (names, messages, outputs)
 * come from playbooks, connectors and remote tools: they are rendered as text only.
 */
import { For, Index, Show, type JSX } from 'solid-js';
import type { Run, StepRun } from '../../../shared/playbooks-api.ts';
import { absoluteTime, relativeTime } from '../time-format.ts';
import { failureLine, isRunActive, itemsProgress } from './run-state.ts';
import { StepWarnings } from './step-warnings.tsx';
import { RunStateChip, StepStateChip } from './state-chip.tsx';
import './playbooks.css';

const TRIGGER_LABELS = { manual: 'started by', event: 'started on an event for', webhook: 'started by a webhook for' } as const;

export function RunCard(props: { run: Run; now: number; canCancel: boolean; onCancel: (run: Run) => void }): JSX.Element {
  return (
    <article class="pb-run" data-testid="run-card" data-run={props.run.id} data-state={props.run.state}>
      <header class="pb-run-head">
        <strong class="pb-run-name">{props.run.playbook_name}</strong>
        <span class="muted small">v{props.run.playbook_version}</span>
        <Show when={props.run.dry_run}>
          <span class="pb-chip" data-tone="idle" data-testid="run-dry">
            dry run
          </span>
        </Show>
        <RunStateChip run={props.run} />
        <Show when={props.canCancel && isRunActive(props.run)}>
          <button type="button" class="btn danger pb-run-cancel" data-testid="run-cancel" onClick={() => props.onCancel(props.run)}>
            Cancel
          </button>
        </Show>
      </header>
      <p class="muted small pb-run-meta">
        {TRIGGER_LABELS[props.run.trigger]} {props.run.started_by} ·{' '}
        <time datetime={props.run.created_at} title={absoluteTime(props.run.created_at)}>
          {relativeTime(props.run.created_at, props.now)}
        </time>
        <Show when={props.run.finished_at}>{(at) => <> · finished {absoluteTime(at())}</>}</Show>
      </p>
      <Show
        when={props.run.failures.length > 0}
        fallback={
          <Show when={props.run.error}>
            {(e) => (
              <p class="pb-error" role="status">
                {e()}
              </p>
            )}
          </Show>
        }
      >
        <div class="pb-failures" role="status" data-testid="run-failures">
          <strong>{props.run.state === 'completed_with_failures' ? 'Not done — these steps failed and their fallback ran:' : 'These steps failed:'}</strong>
          <ul>
            <For each={props.run.failures}>
              {(f) => (
                <li data-testid="run-failure" data-step={f.step_id} data-code={f.code}>
                  {failureLine(f)}
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
      <StepWarnings warnings={props.run.warnings} lead="Waiting for approval, but approving cannot act yet:" />
      <ol class="pb-steps">
        {/* By position: a poll brings new objects, and an opened "Output" must stay open. */}
        <Index each={props.run.steps}>{(step) => <StepRow step={step()} />}</Index>
      </ol>
    </article>
  );
}

function StepRow(props: { step: StepRun }): JSX.Element {
  const hasOutput = (): boolean => props.step.output !== null && props.step.output !== undefined;
  return (
    <li class="pb-step" data-testid="step-row" data-step={props.step.step_id} data-state={props.step.state}>
      <div class="pb-step-line">
        <StepStateChip state={props.step.state} />
        <span class="pb-step-name">{props.step.name ?? props.step.step_id}</span>
        <code class="pb-step-action muted small">{props.step.action}</code>
        <Show when={props.step.attempt > 1}>
          <span class="muted small">attempt {props.step.attempt}</span>
        </Show>
        <Show when={itemsProgress(props.step)}>{(p) => <span class="muted small">{p()}</span>}</Show>
      </div>
      <Show when={props.step.state === 'waiting_approval'}>
        <p class="muted small pb-step-note">A lead decides on the approvals page.</p>
      </Show>
      <Show when={props.step.error}>
        {(e) => (
          <p class="pb-error small" data-testid="step-error">
            {e().message} <span class="muted">({e().code})</span>
          </p>
        )}
      </Show>
      <Show when={hasOutput()}>
        <details class="pb-output">
          <summary>Output</summary>
          <pre>{JSON.stringify(props.step.output, null, 2)}</pre>
        </details>
      </Show>
    </li>
  );
}

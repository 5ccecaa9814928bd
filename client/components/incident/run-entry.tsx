/**
 * A playbook run in the timeline: one row, updated in place as the run goes (shared/incident-doc.ts
 * `recordRunChanges`), that says on its face what needs a person — the steps that failed and why,
 * the steps waiting for an approval — and expands into every step with the states it went through.
 * Strings come from the document (a step's error may quote a remote system): rendered as text.
 */
import { createMemo, createSignal, createUniqueId, For, Show, type JSX } from 'solid-js';
import type { TimelineEntry } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { absoluteTime, stampTime } from '../time-format.ts';
import type { StepState } from '../../../shared/playbooks-api.ts';
import { payloadOf } from '../../../shared/timeline-payloads.ts';
import { stateTone } from '../playbooks/run-state.ts';
import '../playbooks/playbooks.css';

interface StepView {
  step_id: string | null;
  item?: number;
  state: string;
  text: string;
  at: string;
  history: { state: string; text: string; at: string }[];
}

const FAILED = new Set(['failed', 'timed_out']);
const WAITING = new Set(['waiting_approval']);

/** The playbooks panel's colour for a state (an unknown one reads as idle). */
const tone = (state: string): string => stateTone(state as StepState);

const label = (state: string): string => state.replaceAll('_', ' ');

/** The run's steps, from the entry's typed payload (shared/timeline-payloads.ts). */
function stepsOf(entry: TimelineEntry): StepView[] {
  return (payloadOf(entry, 'automation')?.steps ?? []).map((st) => ({ ...st, history: st.history ?? [] }));
}

/** Whether an entry is a run recorded in place (and not one of the older one-entry-per-change rows). */
export function isRunEntry(entry: TimelineEntry): boolean {
  return (
    entry.kind === 'automation' &&
    typeof entry.data?.['run_id'] === 'string' &&
    (Array.isArray(entry.data?.['steps']) || typeof entry.data?.['run'] === 'object')
  );
}

/** "step enrich: connector not configured": the part of a step's text after its name, when the text is "Playbook X: step …". */
const stepName = (s: StepView): string => `${s.step_id ?? 'run'}${s.item !== undefined ? ` (item ${s.item + 1})` : ''}`;
const shortText = (s: StepView): string => {
  const at = s.text.indexOf(': step ');
  return at >= 0 ? s.text.slice(at + 2) : s.text;
};

export function RunEntry(props: { entry: TimelineEntry }): JSX.Element {
  const app = useApp();
  const [open, setOpen] = createSignal(false);
  const listId = createUniqueId();
  const run = (): { state: string } | null => {
    const r = props.entry.data?.['run'];
    return typeof r === 'object' && r !== null && typeof (r as { state?: unknown }).state === 'string' ? (r as { state: string }) : null;
  };
  const steps = createMemo(() => stepsOf(props.entry));
  const failed = createMemo(() => steps().filter((s) => FAILED.has(s.state)));
  const waiting = createMemo(() => steps().filter((s) => WAITING.has(s.state)));
  const done = createMemo(() => steps().filter((s) => s.state === 'succeeded').length);
  return (
    <div class="tl-run" data-testid="timeline-run" data-run-state={run()?.state ?? ''}>
      <p class="tl-text">
        <Show when={run()}>
          {(r) => (
            <span class="pb-chip" data-tone={tone(r().state)} data-testid="timeline-run-state">
              {label(r().state)}
            </span>
          )}
        </Show>{' '}
        {props.entry.text}
      </p>
      <p class="tl-run-summary small">
        {steps().length} {steps().length === 1 ? 'step' : 'steps'} · {done()} succeeded
        <Show when={failed().length > 0}>
          {' '}
          · <strong class="tl-run-bad">{failed().length} failed</strong>
        </Show>
        <Show when={waiting().length > 0}>
          {' '}
          · <strong class="tl-run-wait">{waiting().length} waiting for approval</strong>
        </Show>
      </p>
      <Show when={failed().length > 0 || waiting().length > 0}>
        <ul class="tl-run-attention" data-testid="timeline-run-attention">
          <For each={[...failed(), ...waiting()]}>
            {(s) => (
              <li data-state={s.state}>
                <strong>{stepName(s)}</strong>: {shortText(s)}
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={steps().length > 0}>
        <button
          type="button"
          class="link-btn small tl-run-toggle"
          aria-expanded={open()}
          aria-controls={listId}
          onClick={() => setOpen((o) => !o)}
          data-testid="timeline-run-toggle"
        >
          {open() ? 'Hide steps' : `Show ${steps().length} ${steps().length === 1 ? 'step' : 'steps'}`}
        </button>
      </Show>
      <Show when={open()}>
        <ol class="tl-run-steps" id={listId} data-testid="timeline-run-steps">
          <For each={steps()}>
            {(s) => (
              <li data-state={s.state} data-testid="timeline-run-step">
                <span class="pb-chip" data-tone={tone(s.state)}>
                  {label(s.state)}
                </span>{' '}
                <strong>{stepName(s)}</strong>{' '}
                <time dateTime={s.at} title={absoluteTime(s.at)}>
                  {stampTime(s.at, app.now())}
                </time>
                <Show when={s.history.length > 1}>
                  <ol class="tl-run-history small muted">
                    <For each={s.history}>
                      {(h) => (
                        <li>
                          <time dateTime={h.at}>{stampTime(h.at, app.now())}</time> {shortText({ ...s, text: h.text })}
                        </li>
                      )}
                    </For>
                  </ol>
                </Show>
                <Show when={s.history.length <= 1}>
                  <span class="small muted"> {shortText(s)}</span>
                </Show>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </div>
  );
}

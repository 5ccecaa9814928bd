/** A run's or step's state as a chip: the words always, the colour as a second cue. */
import type { JSX } from 'solid-js';
import type { Run, StepState } from '../../../shared/playbooks-api.ts';
import { runChip, stateTone, stepStateLabel } from './run-state.ts';
import './playbooks.css';

export function StepStateChip(props: { state: StepState }): JSX.Element {
  return (
    <span class="pb-chip" data-tone={stateTone(props.state)} data-state={props.state} data-testid="step-state">
      {stepStateLabel(props.state)}
    </span>
  );
}

export function RunStateChip(props: { run: Pick<Run, 'state' | 'steps'> }): JSX.Element {
  const chip = (): ReturnType<typeof runChip> => runChip(props.run);
  return (
    <span class="pb-chip" data-tone={chip().tone} data-state={props.run.state} data-testid="run-state">
      {chip().label}
    </span>
  );
}

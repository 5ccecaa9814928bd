/**
 * A clock badge (state as text and colour), a per-second ticker for live countdowns, and the
 * incident's SLA computed with the shared policy (shared/sla.ts), so it works offline.
 */
import { createSignal, onCleanup, type Accessor, type JSX } from 'solid-js';
import { DEFAULT_SLA_POLICY, slaFor, type ClockState, type SlaInput, type SlaStatus } from '../../shared/sla.ts';
import { CLOCK_STATE_LABELS, countdown } from './clock-format.ts';

/** The clock policy the client uses (the server's default; a custom server policy only shifts deadlines). */
export const CLIENT_SLA_POLICY = DEFAULT_SLA_POLICY;

export function computeSla(meta: SlaInput, now: number): SlaStatus {
  return slaFor(meta, CLIENT_SLA_POLICY, new Date(now));
}

/** Epoch ms, updated every `ms` while the owner is alive. */
export function createTicker(ms = 1_000): Accessor<number> {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), ms);
  onCleanup(() => clearInterval(t));
  return now;
}

export function ClockBadge(props: { label: string; state: ClockState; due: string; now: number; testId?: string }): JSX.Element {
  return (
    <span
      class="clock"
      data-state={props.state}
      data-testid={props.testId}
      title={`${props.label}: ${CLOCK_STATE_LABELS[props.state]}, due ${new Date(props.due).toLocaleString()}`}
    >
      {props.label}: {CLOCK_STATE_LABELS[props.state]}
      {props.state === 'met' ? '' : ` · ${countdown(props.due, props.state, props.now)}`}
    </span>
  );
}

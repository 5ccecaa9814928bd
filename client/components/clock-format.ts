/** Countdown text for SLA and breach clocks: "12 min 5 s left", "2 h 5 min left", "overdue 3 h". */
import type { ClockState } from '../../shared/sla.ts';

export function formatSpan(ms: number): string {
  const totalMin = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(totalMin / 1_440);
  const h = Math.floor((totalMin % 1_440) / 60);
  const m = totalMin % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  // Under an hour the seconds count too: the clock visibly runs.
  const sec = Math.floor(Math.abs(ms) / 1000) % 60;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

export function countdown(dueIso: string, state: ClockState, now: number): string {
  if (state === 'met') return 'met';
  const left = Date.parse(dueIso) - now;
  return left <= 0 ? `overdue ${formatSpan(left)}` : `${formatSpan(left)} left`;
}

export const CLOCK_STATE_LABELS = { on_track: 'On track', due_soon: 'Due soon', overdue: 'Overdue', met: 'Met' } as const satisfies Record<ClockState, string>;

/**
 * Tests read a run's timeline record through these: the run is one entry (its text is the run's
 * latest state) that holds each step's latest state (shared/incident-doc.ts `recordRunChanges`).
 */
import type { TimelineEntry } from '../../../shared/incident-schema.ts';

interface StepState {
  step_id: string | null;
  state: string;
  text: string;
  history?: { state: string; text: string }[];
}

/** The steps of a run entry (empty for any other entry). */
export function runSteps(entry: TimelineEntry): StepState[] {
  const steps = entry.data?.['steps'];
  return Array.isArray(steps) ? (steps as StepState[]) : [];
}

/**
 * Every automation text on the timeline: each entry's steps (every state each went through, in
 * order), then the entry's own text (for a run, its latest state).
 */
export function automationTexts(timeline: readonly TimelineEntry[]): string[] {
  return timeline
    .filter((e) => e.kind === 'automation')
    .flatMap((e) => [...runSteps(e).flatMap((s) => (s.history?.length ? s.history.map((h) => h.text) : [s.text])), e.text]);
}

/**
 * The NIST SP 800-61 incident workflow as a pure function, so a device offline applies
 * exactly the rules the server applies.
 *
 * new → triage (detection & analysis) → containment → eradication → recovery →
 * post_incident (lessons learned) → closed, with the step-backs responders really take
 * (new evidence sends containment back to analysis, re-infection sends recovery back to
 * containment) and a reopen from closed to triage.
 */
import { err, ok, type Result } from './result.ts';

export const STATUSES = ['new', 'triage', 'containment', 'eradication', 'recovery', 'post_incident', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

/** The NIST SP 800-61 phase each status belongs to. */
export const PHASES = ['detection_analysis', 'containment', 'eradication', 'recovery', 'post_incident', 'closed'] as const;
export type Phase = (typeof PHASES)[number];

export const STATUS_PHASE = {
  new: 'detection_analysis',
  triage: 'detection_analysis',
  containment: 'containment',
  eradication: 'eradication',
  recovery: 'recovery',
  post_incident: 'post_incident',
  closed: 'closed',
} as const satisfies Record<Status, Phase>;

export const STATUS_LABELS = {
  new: 'New',
  triage: 'Triage & analysis',
  containment: 'Containment',
  eradication: 'Eradication',
  recovery: 'Recovery',
  post_incident: 'Post-incident review',
  closed: 'Closed',
} as const satisfies Record<Status, string>;

/** Allowed transitions: from → the statuses it may move to. */
export const TRANSITIONS = {
  new: ['triage', 'closed'],
  triage: ['containment', 'post_incident', 'closed'],
  containment: ['eradication', 'triage'],
  eradication: ['recovery', 'containment'],
  recovery: ['post_incident', 'containment'],
  post_incident: ['closed', 'recovery'],
  closed: ['triage'],
} as const satisfies Record<Status, readonly Status[]>;

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

export function allowedTransitions(from: Status): readonly Status[] {
  return TRANSITIONS[from];
}

export interface TransitionRefused {
  code: 'same_status' | 'not_allowed';
  from: Status;
  to: Status;
  allowed: readonly Status[];
  message: string;
}

/** Timestamps a transition stamps on the incident the first time it is reached. */
type MilestoneField = 'containedAt' | 'resolvedAt' | 'closedAt';

export interface TransitionOk {
  from: Status;
  to: Status;
  /** Milestones to set if not set yet (metrics: MTTC, MTTR). */
  milestones: readonly MilestoneField[];
  /** Milestones to clear (a reopen clears closedAt). */
  clears: readonly MilestoneField[];
}

/** Decide whether `from → to` is allowed, and what it stamps. */
export function transition(from: Status, to: Status): Result<TransitionOk, TransitionRefused> {
  const allowed = TRANSITIONS[from];
  if (from === to) {
    return err({ code: 'same_status', from, to, allowed, message: `The incident is already ${STATUS_LABELS[to]}.` });
  }
  if (!(allowed as readonly Status[]).includes(to)) {
    const names = allowed.map((s) => s).join(', ');
    return err({
      code: 'not_allowed',
      from,
      to,
      allowed,
      message: `Cannot move from ${from} to ${to}; allowed: ${names}.`,
    });
  }
  const milestones: MilestoneField[] = [];
  if (to === 'eradication' || to === 'recovery' || to === 'post_incident' || to === 'closed') milestones.push('containedAt');
  if (to === 'post_incident' || to === 'closed') milestones.push('resolvedAt');
  if (to === 'closed') milestones.push('closedAt');
  const clears: MilestoneField[] = from === 'closed' ? ['closedAt'] : [];
  return ok({ from, to, milestones, clears });
}

/** Open = not closed; used by lists, SLA clocks and the priority queue. */
export function isOpen(status: Status): boolean {
  return status !== 'closed';
}

/**
 * The playbook vocabulary as the UI shows it: labels for run, step and approval states, which
 * runs are still moving (the panel polls fast while one is), what a confirm dialog says about
 * gated steps, how an outbox entry reads, "expires in" for approvals and why someone may not
 * decide one. Pure, so it is tested
 * without a browser.
 */
import type { Approval, RunFailure, RunState, StepState, WorkflowSummary } from '../../../shared/playbooks-api.ts';
import type { ConnectionStatus } from '../../local/engine-types.ts';
import type { OutboxRecord } from '../../local/outbox.ts';

const STEP_LABELS = {
  pending: 'waiting for earlier steps',
  queued: 'queued',
  waiting_approval: 'waiting for approval',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  timed_out: 'timed out',
  rejected: 'rejected',
  cancelled: 'cancelled',
} as const satisfies Record<StepState, string>;

const RUN_LABELS = {
  queued: 'queued',
  running: 'running',
  waiting_approval: 'waiting for approval',
  succeeded: 'succeeded',
  completed_with_failures: 'completed with failures',
  failed: 'failed',
  cancelled: 'cancelled',
} as const satisfies Record<RunState, string>;

export const stepStateLabel = (s: StepState): string => STEP_LABELS[s];
const runStateLabel = (s: RunState): string => RUN_LABELS[s];

/** How a state looks: a chip's colour family (the label is always there as text). */
export function stateTone(s: StepState | RunState): 'idle' | 'busy' | 'wait' | 'ok' | 'bad' {
  switch (s) {
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'completed_with_failures':
    case 'timed_out':
    case 'rejected':
      return 'bad';
    case 'waiting_approval':
      return 'wait';
    case 'running':
    case 'queued':
      return 'busy';
    default:
      return 'idle';
  }
}

/**
 * A run's chip: its state, except that a run which finished with a rejected step says so. The
 * engine counts a rejection as a decision, not a failure, so such a run is `succeeded`; "succeeded"
 * alone would read as if the account had been disabled.
 */
export function runChip(run: { state: RunState; steps: readonly { state: StepState }[] }): { label: string; tone: ReturnType<typeof stateTone> } {
  const rejected = run.steps.filter((s) => s.state === 'rejected').length;
  if (run.state === 'succeeded' && rejected > 0) return { label: `finished · ${rejected} rejected`, tone: 'wait' };
  if (run.state === 'completed_with_failures') {
    const failed = run.steps.filter((s) => s.state === 'failed' || s.state === 'timed_out').length;
    return { label: `completed · ${failed} failed`, tone: 'bad' };
  }
  return { label: runStateLabel(run.state), tone: stateTone(run.state) };
}

/** "Block the source IPs on the firewall: connector "firewall" not configured (handled: ip_not_blocked)". */
export function failureLine(f: Pick<RunFailure, 'step_id' | 'name' | 'message' | 'handled_by' | 'state'>): string {
  const what = f.name ?? f.step_id;
  const handled = f.handled_by ? ` (fallback: ${f.handled_by})` : '';
  return `${what}: ${f.state === 'timed_out' ? 'timed out — ' : ''}${f.message}${handled}`;
}

const ACTIVE_RUN_STATES: readonly RunState[] = ['queued', 'running', 'waiting_approval'];

/** A run that may still change (so it can be cancelled, and the panel polls fast). */
export function isRunActive(run: { state: RunState }): boolean {
  return ACTIVE_RUN_STATES.includes(run.state);
}

/** "disable-account (Disable the account)" for each step behind an approval gate. */
export function gatedStepNames(workflow: Pick<WorkflowSummary, 'steps'>): string[] {
  return workflow.steps.filter((s) => s.gated).map((s) => (s.name ? `${s.id} (${s.name})` : s.id));
}

/** The steps that cannot act as things stand (a connector not configured), gated ones first: what a confirmation warns about. */
export function stepWarnings(workflow: Pick<WorkflowSummary, 'steps'>): NonNullable<WorkflowSummary['steps'][number]['warning']>[] {
  const steps = [...workflow.steps].sort((a, b) => Number(b.gated) - Number(a.gated));
  return steps.flatMap((s) => (s.warning ? [s.warning] : []));
}

/** What an outbox entry says: "Waiting for network", "Sending…", "Failed: <the server's reason>". */
export function outboxEntryText(record: Pick<OutboxRecord, 'state' | 'lastError'>, connection: ConnectionStatus): string {
  switch (record.state) {
    case 'sending':
      return 'Sending…';
    case 'done':
      return 'Started';
    case 'failed':
      return `Failed: ${record.lastError ?? 'the server refused it'}`;
    case 'waiting':
      if (connection === 'signed-out') return 'Waiting for you to log in again';
      if (connection === 'offline') return 'Waiting for network';
      return record.lastError ? `Waiting to retry (${record.lastError})` : 'Waiting to send';
  }
}

/** "in 3 h 20 min", "in 45 s", "expired". */
export function expiresIn(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 60) return `in ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `in ${h} h ${m % 60} min` : `in ${h} h`;
  return `in ${Math.floor(h / 24)} d`;
}

/** A step's progress through for_each items, or null for a plain step. */
export function itemsProgress(step: { items_done: number | null; items_total: number | null }): string | null {
  return step.items_total === null ? null : `${step.items_done ?? 0}/${step.items_total} items`;
}

const EXCLUSION_TEXT = {
  own_run: 'You started this run, so someone else must decide (separation of duties).',
  own_incident: 'You created the incident whose event started this run, so someone else must decide (separation of duties).',
} as const satisfies Record<NonNullable<Approval['caller_excluded']>, string>;

/** Why the signed-in person is not offered Approve and Reject on a gate (the server would refuse them), or null. */
export function approvalExclusionText(approval: Pick<Approval, 'caller_excluded'>): string | null {
  return approval.caller_excluded ? EXCLUSION_TEXT[approval.caller_excluded] : null;
}

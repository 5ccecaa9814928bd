/**
 * Read models for the playbooks API: a run with every step's state (shared/playbooks-api.ts
 * runSchema), an incident's runs, and approvals with their decisions (and whether the caller
 * may decide them: separation.ts). Plain reads; the engine alone changes these tables.
 */
import type { Playbook } from '../../../shared/playbook.ts';
import {
  FINISHED_STEP_STATES,
  type Approval,
  type ApprovalState,
  type CoalescedTrigger,
  type Run,
  type RunFailure,
  type StepRun,
  type StepState,
  type StepWarning,
} from '../../../shared/playbooks-api.ts';
import type { Sql } from '../../db/connect.ts';
import { actionOf, connectorsNow, stepWarning, type ConnectorsNow } from './readiness.ts';
import { exclusionOf, type ApproverExclusion } from './separation.ts';

interface RunRecord {
  id: string;
  playbook_id: string;
  playbook_name: string;
  version: string;
  definition: Playbook;
  incident_id: string | null;
  state: Run['state'];
  dry_run: boolean;
  trigger: Run['trigger'];
  started_by: string;
  created_at: Date;
  finished_at: Date | null;
  error: string | null;
  coalesced: (CoalescedTrigger & { key?: string | null })[];
}

interface StepRecord {
  run_id: string;
  step_id: string;
  item: number;
  state: StepState;
  attempt: number;
  items_total: number | null;
  input: unknown;
  output: unknown;
  error: { code: string; message: string } | null;
  started_at: Date | null;
  finished_at: Date | null;
  approval_id: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toRun(r: RunRecord, steps: readonly StepRecord[], connectors: ConnectorsNow): Run {
  const mine = steps.filter((s) => s.run_id === r.id);
  const rows = new Map(mine.filter((s) => s.item === -1).map((s) => [s.step_id, s]));
  const out: StepRun[] = r.definition.steps.map((spec) => {
    const s = rows.get(spec.id);
    const items = mine.filter((x) => x.step_id === spec.id && x.item >= 0);
    return {
      step_id: spec.id,
      name: spec.name ?? null,
      action: spec.action,
      state: s?.state ?? 'pending',
      attempt: spec.for_each ? Math.max(0, ...items.map((i) => i.attempt)) : (s?.attempt ?? 0),
      items_done: spec.for_each ? items.filter((i) => FINISHED_STEP_STATES.includes(i.state)).length : null,
      items_total: spec.for_each ? (s?.items_total ?? null) : null,
      input: spec.for_each ? null : (s?.input ?? null),
      output: s?.output ?? null,
      error: s?.error ? { code: s.error.code, message: s.error.message } : null,
      started_at: iso(s?.started_at ?? null),
      finished_at: iso(s?.finished_at ?? null),
      approval_id: s?.approval_id ?? null,
    };
  });
  const handlerOf = new Map(r.definition.steps.filter((s) => s.on_error).map((s) => [s.id, s.on_error ?? null]));
  const failures: RunFailure[] = out.flatMap((s) =>
    s.state === 'failed' || s.state === 'timed_out'
      ? [
          {
            step_id: s.step_id,
            name: s.name,
            action: s.action,
            state: s.state,
            code: s.error?.code ?? s.state,
            message: s.error?.message ?? (s.state === 'timed_out' ? 'timed out' : 'failed'),
            handled_by: handlerOf.get(s.step_id) ?? null,
          },
        ]
      : [],
  );
  const warnings = out.flatMap((s): StepWarning[] => {
    const w = s.state === 'waiting_approval' ? stepWarning(s.step_id, actionOf(s.action), connectors) : null;
    return w ? [w] : [];
  });
  return {
    id: r.id,
    playbook_id: r.playbook_id,
    playbook_name: r.playbook_name,
    playbook_version: r.version,
    incident_id: r.incident_id,
    state: r.state,
    dry_run: r.dry_run,
    trigger: r.trigger,
    started_by: r.started_by,
    created_at: r.created_at.toISOString(),
    finished_at: iso(r.finished_at),
    error: r.error,
    failures,
    warnings,
    coalesced: r.coalesced.length,
    coalesced_triggers: r.coalesced.map(({ event, incident_id, alert_id, at }) => ({ event, incident_id, alert_id, at })),
    steps: out,
  };
}

const RUN_COLUMNS =
  'id, playbook_id, playbook_name, version, definition, incident_id, state, dry_run, trigger, started_by, created_at, finished_at, error, coalesced';
const STEP_COLUMNS = 'run_id, step_id, item, state, attempt, items_total, input, output, error, started_at, finished_at, approval_id';

export async function getRun(sql: Sql, id: string): Promise<Run | null> {
  const [r] = await sql<RunRecord[]>`SELECT ${sql.unsafe(RUN_COLUMNS)} FROM playbook_runs WHERE id = ${id}`;
  if (!r) return null;
  const [steps, connectors] = await Promise.all([
    sql<StepRecord[]>`SELECT ${sql.unsafe(STEP_COLUMNS)} FROM playbook_step_runs WHERE run_id = ${id}`,
    connectorsNow(sql),
  ]);
  return toRun(r, steps, connectors);
}

/** The incident the run is about (null: none, or no such run), for permission checks. */
export async function runIncident(sql: Sql, id: string): Promise<{ incident_id: string | null } | null> {
  const [r] = await sql<{ incident_id: string | null }[]>`SELECT incident_id FROM playbook_runs WHERE id = ${id}`;
  return r ?? null;
}

export async function listRuns(sql: Sql, incidentId: string, limit = 100): Promise<Run[]> {
  const runs = await sql<
    RunRecord[]
  >`SELECT ${sql.unsafe(RUN_COLUMNS)} FROM playbook_runs WHERE incident_id = ${incidentId} ORDER BY created_at DESC LIMIT ${limit}`;
  if (runs.length === 0) return [];
  const [steps, connectors] = await Promise.all([
    sql<StepRecord[]>`SELECT ${sql.unsafe(STEP_COLUMNS)} FROM playbook_step_runs WHERE run_id = ANY(${runs.map((r) => r.id)}::uuid[])`,
    connectorsNow(sql),
  ]);
  return runs.map((r) => toRun(r, steps, connectors));
}

interface ApprovalRecord {
  id: string;
  run_id: string;
  step_id: string;
  incident_id: string | null;
  playbook_id: string;
  playbook_name: string;
  message: string;
  state: ApprovalState;
  roles: string[];
  min_approvers: number;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  on_timeout: Approval['on_timeout'];
  decided_at: Date | null;
  caller_excluded: ApproverExclusion | null;
  step: { name?: string | null; action?: string } | null;
  decisions: { by: string; decision: 'approve' | 'reject'; reason: string; at: string }[];
}

/** Approvals as `viewer` (`kind:id`) sees them: `caller_excluded` says whether separation of duties keeps them from deciding. */
export async function listApprovals(sql: Sql, viewer: string, opts: { status?: ApprovalState; id?: string; limit?: number }): Promise<Approval[]> {
  const rows = await sql<ApprovalRecord[]>`
    SELECT a.id, a.run_id, a.step_id, a.incident_id, r.playbook_id, r.playbook_name, a.message, a.state, a.roles, a.min_approvers,
      a.requested_by, a.requested_at, a.expires_at, a.on_timeout, a.decided_at, ${exclusionOf(sql, viewer)} AS caller_excluded,
      (SELECT st FROM jsonb_array_elements(r.definition->'steps') st WHERE st->>'id' = a.step_id LIMIT 1) AS step,
      coalesce((SELECT json_agg(json_build_object('by', d.user_name, 'decision', d.decision, 'reason', d.reason, 'at', d.at) ORDER BY d.at)
        FROM playbook_approval_decisions d WHERE d.approval_id = a.id), '[]') AS decisions
    FROM playbook_approvals a JOIN playbook_runs r ON r.id = a.run_id
    WHERE ${opts.id ? sql`a.id = ${opts.id}` : sql`a.state = ${opts.status ?? 'pending'}`}
    ORDER BY a.requested_at DESC LIMIT ${opts.limit ?? 100}`;
  const connectors = rows.length ? await connectorsNow(sql) : new Map<string, string[]>();
  return rows.map(({ step, ...a }) => {
    // What will be done, and whether it can be: named from the run's own definition.
    const action = actionOf(step?.action ?? '');
    const warning = a.state === 'pending' ? stepWarning(a.step_id, action, connectors) : null;
    return {
      ...a,
      step_name: step?.name ?? null,
      action: step?.action ?? '',
      action_description: action?.description ?? '',
      connector: action?.connector ?? null,
      warnings: warning ? [warning] : [],
      requested_at: a.requested_at.toISOString(),
      expires_at: a.expires_at.toISOString(),
      decided_at: iso(a.decided_at),
      decisions: a.decisions.map((d) => ({ ...d, at: new Date(d.at).toISOString() })),
    };
  });
}

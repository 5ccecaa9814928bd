/**
 * The run state machine, inside one transaction that holds the run's row lock: which steps can
 * start now (needs finished, guard, approval gate, on_error targets), queueing a step (or a
 * for_each step's items, `concurrency` at a time) as a graphile-worker job added in the same
 * transaction, and the run's own state once its steps settle. Every change it makes is returned
 * as an EngineEvent for the recorder (timeline and audit), written after commit.
 */
import { durationMs, type ExpressionContext, type Playbook, type StepSpec } from '../../../shared/playbook.ts';
import { FINISHED_RUN_STATES, FINISHED_STEP_STATES, type RunState, type StepState } from '../../../shared/playbooks-api.ts';
import { newId } from '../../../shared/ids.ts';
import type { TransactionSql } from '../../db/connect.ts';
import { SYSTEM_ACTOR, type AuditActor } from '../../audit/audit-types.ts';
import { evaluateGuard, evaluateValue, renderTemplates } from './evaluate.ts';
import { actionOf, connectorsNow, stepWarning } from './readiness.ts';
import type { EngineEvent } from './recorder.ts';

export const STEP_TASK = 'playbook_step';
export const APPROVAL_TASK = 'playbook_approval_expiry';

export interface RunRow {
  id: string;
  playbook_id: string;
  playbook_name: string;
  definition: Playbook;
  incident_id: string | null;
  state: RunState;
  dry_run: boolean;
  trigger: 'manual' | 'event' | 'webhook';
  trigger_body: unknown;
  started_by: string;
  starter: string;
  context: { incident?: Record<string, unknown> | null; alert?: Record<string, unknown> | null };
}

export interface StepRow {
  step_id: string;
  item: number;
  state: StepState;
  attempt: number;
  items_total: number | null;
  output: unknown;
  error: { code: string; message: string } | null;
}

export interface StepJob {
  run: string;
  step: string;
  item: number;
  token: string;
}

const finished = (s: StepState): boolean => FINISHED_STEP_STATES.includes(s);
const FAILED: readonly StepState[] = ['failed', 'timed_out'];
/** A skip that passes on to the steps needing it (as opposed to a false guard). */
const UPSTREAM = 'upstream';

const STATE_TEXT: Partial<Record<StepState, string>> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  timed_out: 'timed out',
  rejected: 'rejected',
  cancelled: 'cancelled',
};

export function stepEvent(
  run: RunRow,
  stepId: string,
  state: string,
  extra: { text?: string; actor?: AuditActor; data?: Record<string, unknown>; item?: number } = {},
): EngineEvent {
  const item = extra.item !== undefined && extra.item >= 0 ? ` item ${extra.item + 1}` : '';
  const what = extra.text ?? STATE_TEXT[state as StepState] ?? state;
  return {
    incidentId: run.incident_id,
    runId: run.id,
    stepId,
    action: `playbook.step.${state}`,
    actor: extra.actor ?? SYSTEM_ACTOR,
    text: `Playbook ${run.playbook_name}${run.dry_run ? ' (dry run)' : ''}: step ${stepId}${item} ${what}`,
    data: {
      run_id: run.id,
      playbook_id: run.playbook_id,
      step_id: stepId,
      state,
      dry_run: run.dry_run,
      ...(extra.item !== undefined && extra.item >= 0 ? { item: extra.item } : {}),
      ...extra.data,
    },
  };
}

export function runEvent(run: RunRow, state: RunState, extra: { text?: string; actor?: AuditActor; data?: Record<string, unknown> } = {}): EngineEvent {
  return {
    incidentId: run.incident_id,
    runId: run.id,
    stepId: null,
    action: `playbook.run.${state}`,
    actor: extra.actor ?? SYSTEM_ACTOR,
    text: `Playbook ${run.playbook_name}${run.dry_run ? ' (dry run)' : ''}: ${extra.text ?? `run ${state.replace('_', ' ')}`}`,
    data: { run_id: run.id, playbook_id: run.playbook_id, state, dry_run: run.dry_run, ...extra.data },
  };
}

export function stepSpec(run: RunRow, stepId: string): StepSpec {
  const s = run.definition.steps.find((x) => x.id === stepId);
  if (!s) throw new Error(`run ${run.id} has no step ${stepId}`);
  return s;
}

/** The expression context of a run now: the incident (fresh), the alert, the trigger, finished steps. */
export function expressionContext(
  run: RunRow,
  incident: Record<string, unknown> | null,
  steps: readonly StepRow[],
  item?: { item: unknown; index: number },
): ExpressionContext {
  const done: ExpressionContext['steps'] = {};
  for (const s of steps) if (s.item === -1 && finished(s.state)) done[s.step_id] = { status: s.state, output: s.output ?? null };
  return {
    incident,
    alert: run.context.alert ?? null,
    trigger: {
      kind: run.trigger,
      ...(run.trigger === 'event' ? { event: (run.trigger_body as { event?: never } | null)?.event } : {}),
      body: run.trigger_body ?? null,
    },
    steps: done,
    ...(item ? { item: item.item, index: item.index } : {}),
    run: { id: run.id, playbook_id: run.playbook_id, dry_run: run.dry_run, started_by: run.started_by },
  };
}

export async function enqueueStep(tx: TransactionSql, job: Omit<StepJob, 'token'>, runAt?: Date): Promise<string> {
  const token = newId();
  const payload: StepJob = { ...job, token };
  // One round trip: the step row and its job.
  await tx`WITH queued AS (
      UPDATE playbook_step_runs SET state = 'queued', job_token = ${token}, queued_at = coalesce(${runAt ?? null}::timestamptz, clock_timestamp())
      WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} RETURNING 1)
    SELECT graphile_worker.add_job(${STEP_TASK}, ${tx.json(payload as never)}::json, run_at => ${runAt ?? null}::timestamptz, max_attempts => 10) FROM queued`;
  return token;
}

async function lockKey(spec: StepSpec, ctx: ExpressionContext): Promise<string | null> {
  if (!spec.concurrency) return null;
  const v = await evaluateValue(spec.concurrency.key, ctx);
  return `${spec.action}:${typeof v === 'string' ? v : JSON.stringify(v)}`;
}

export async function setStep(
  tx: TransactionSql,
  runId: string,
  stepId: string,
  item: number,
  state: StepState,
  fields: { error?: unknown; output?: unknown } = {},
): Promise<void> {
  const done = finished(state);
  await tx`UPDATE playbook_step_runs SET state = ${state},
      error = ${fields.error === undefined ? null : tx.json(fields.error as never)},
      output = coalesce(${fields.output === undefined ? null : tx.json(fields.output as never)}, output),
      finished_at = CASE WHEN ${done} THEN clock_timestamp() ELSE finished_at END
    WHERE run_id = ${runId} AND step_id = ${stepId} AND item = ${item}`;
}

/** Queue a step that may start: a plain step as one job, a for_each step as its first items. */
/** Returns the step's state after it (queued, or for_each: running, succeeded with no items, failed). */
export async function queueStep(tx: TransactionSql, run: RunRow, spec: StepSpec, ctx: ExpressionContext, events: EngineEvent[]): Promise<StepState> {
  if (!spec.for_each) {
    await tx`UPDATE playbook_step_runs SET lock_key = ${await lockKey(spec, ctx)} WHERE run_id = ${run.id} AND step_id = ${spec.id} AND item = -1`;
    await enqueueStep(tx, { run: run.id, step: spec.id, item: -1 });
    events.push(stepEvent(run, spec.id, 'queued'));
    return 'queued';
  }
  // Nothing (null) is no items; a single value is one item.
  const value = await evaluateValue(spec.for_each.items, ctx);
  const items = value === null ? [] : Array.isArray(value) ? value : [value];
  await tx`UPDATE playbook_step_runs SET state = 'running', items_total = ${items.length}, started_at = clock_timestamp() WHERE run_id = ${run.id} AND step_id = ${spec.id} AND item = -1`;
  if (items.length === 0) {
    await setStep(tx, run.id, spec.id, -1, 'succeeded', { output: [] });
    events.push(stepEvent(run, spec.id, 'succeeded', { text: 'succeeded (no items)' }));
    return 'succeeded';
  }
  for (const [index, item] of items.entries()) {
    const key = await lockKey(spec, { ...ctx, item, index });
    await tx`INSERT INTO playbook_step_runs (run_id, step_id, item, state, input, lock_key) VALUES (${run.id}, ${spec.id}, ${index}, 'pending', ${tx.json({ item } as never)}, ${key})`;
  }
  for (let index = 0; index < Math.min(items.length, spec.for_each.concurrency); index++) await enqueueStep(tx, { run: run.id, step: spec.id, item: index });
  events.push(stepEvent(run, spec.id, 'queued', { text: `queued (${items.length} items, ${spec.for_each.concurrency} at a time)` }));
  return 'running';
}

/** After an item finished: start the next pending one, or settle the for_each step when all are done. */
export async function afterItem(tx: TransactionSql, run: RunRow, spec: StepSpec, events: EngineEvent[]): Promise<void> {
  const items = await tx<StepRow[]>`SELECT step_id, item, state, attempt, items_total, output, error FROM playbook_step_runs
    WHERE run_id = ${run.id} AND step_id = ${spec.id} AND item >= 0 ORDER BY item`;
  const active = items.filter((i) => i.state === 'queued' || i.state === 'running').length;
  const next = items.find((i) => i.state === 'pending');
  if (next && active < (spec.for_each?.concurrency ?? 1)) await enqueueStep(tx, { run: run.id, step: spec.id, item: next.item });
  if (!items.every((i) => finished(i.state))) return;
  const failedItems = items.filter((i) => i.state !== 'succeeded');
  const output = items.map((i) => i.output ?? null);
  if (failedItems.length === 0) {
    await setStep(tx, run.id, spec.id, -1, 'succeeded', { output });
    events.push(stepEvent(run, spec.id, 'succeeded', { text: `succeeded (${items.length} items)` }));
  } else {
    // Say why, not only how many: the items' distinct reasons, and their code when they share one.
    const reasons = [...new Set(failedItems.map((i) => i.error?.message ?? (i.state === 'timed_out' ? 'timed out' : i.state)))];
    const codes = new Set(failedItems.map((i) => i.error?.code ?? i.state));
    const shown = reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more reasons` : '');
    const message = `${failedItems.length} of ${items.length} items did not succeed: ${shown}`;
    const code = codes.size === 1 ? [...codes][0]! : 'failed';
    await setStep(tx, run.id, spec.id, -1, 'failed', { output, error: { code, message } });
    events.push(stepEvent(run, spec.id, 'failed', { text: `failed: ${message}`, data: { error: message } }));
  }
}

async function openApproval(tx: TransactionSql, run: RunRow, spec: StepSpec, ctx: ExpressionContext, events: EngineEvent[]): Promise<void> {
  const a = spec.approval!;
  const message = String(await renderTemplates(a.message, ctx));
  const id = newId();
  const expires = new Date(Date.now() + (durationMs(a.timeout) ?? 4 * 3_600_000));
  await tx`INSERT INTO playbook_approvals (id, run_id, step_id, incident_id, message, state, roles, min_approvers, requested_by, expires_at, on_timeout)
    VALUES (${id}, ${run.id}, ${spec.id}, ${run.incident_id}, ${message}, 'pending', ${a.approvers.roles}, ${a.approvers.min}, ${run.started_by}, ${expires}, ${a.on_timeout})`;
  await tx`UPDATE playbook_step_runs SET state = 'waiting_approval', approval_id = ${id} WHERE run_id = ${run.id} AND step_id = ${spec.id} AND item = -1`;
  await tx`SELECT graphile_worker.add_job(${APPROVAL_TASK}, ${tx.json({ approval: id })}::json, run_at => ${expires}::timestamptz, max_attempts => 10)`;
  const who = `${a.approvers.roles.join(' or ')}, ${a.approvers.min} approver${a.approvers.min > 1 ? 's' : ''}`;
  // Warn before anyone is asked: an approval whose action cannot happen must say so.
  const warning = stepWarning(spec.id, actionOf(spec.action), await connectorsNow(tx));
  const text = `waiting for approval (${who})${warning ? `; warning: ${warning.message}` : ''}`;
  events.push(stepEvent(run, spec.id, 'waiting_approval', { text, data: { approval_id: id, message, ...(warning ? { warnings: [warning] } : {}) } }));
}

/**
 * Start every step that can start, skip those that cannot run, and settle the run's state.
 * `incident` is the incident now (API shape) for guards and templates.
 */
export async function advance(tx: TransactionSql, run: RunRow, incident: Record<string, unknown> | null, events: EngineEvent[]): Promise<void> {
  if (FINISHED_RUN_STATES.includes(run.state)) return;
  const rows = await tx<
    StepRow[]
  >`SELECT step_id, item, state, attempt, items_total, output, error FROM playbook_step_runs WHERE run_id = ${run.id} AND item = -1`;
  const byId = new Map(rows.map((r) => [r.step_id, r]));
  const handlerOf = new Map<string, string[]>();
  for (const s of run.definition.steps) if (s.on_error) handlerOf.set(s.on_error, [...(handlerOf.get(s.on_error) ?? []), s.id]);

  const skip = async (spec: StepSpec, reason: string, upstream: boolean): Promise<void> => {
    const error = upstream ? { code: UPSTREAM, message: reason } : null;
    await setStep(tx, run.id, spec.id, -1, 'skipped', { error });
    byId.set(spec.id, { ...byId.get(spec.id)!, state: 'skipped', error });
    events.push(stepEvent(run, spec.id, 'skipped', { text: `skipped (${reason})` }));
  };

  for (let changed = true; changed;) {
    changed = false;
    for (const spec of run.definition.steps) {
      const row = byId.get(spec.id)!;
      if (row.state !== 'pending') continue;
      const sources = handlerOf.get(spec.id) ?? [];
      const deps = [...new Set([...spec.needs, ...sources])].map((id) => byId.get(id)!);
      if (!deps.every((d) => finished(d.state))) continue;
      changed = true;
      const sourceFailed = sources.some((id) => FAILED.includes(byId.get(id)!.state));
      const blocked = spec.needs.find((id) => {
        const d = byId.get(id)!;
        if (sources.includes(id) && FAILED.includes(d.state)) return false;
        return !(d.state === 'succeeded' || (d.state === 'skipped' && d.error?.code !== UPSTREAM));
      });
      if (blocked) {
        await skip(spec, `${blocked} did not succeed`, true);
        continue;
      }
      if (sources.length > 0 && !sourceFailed) {
        await skip(spec, `${sources.join(', ')} did not fail`, false);
        continue;
      }
      const ctx = expressionContext(run, incident, [...byId.values()]);
      try {
        if (spec.if && !(await evaluateGuard(spec.if, ctx))) {
          await skip(spec, 'its condition is false', false);
          continue;
        }
        const gated = spec.approval && (!spec.approval.required_if || (await evaluateGuard(spec.approval.required_if, ctx)));
        if (gated && !run.dry_run) {
          await openApproval(tx, run, spec, ctx, events);
          byId.set(spec.id, { ...row, state: 'waiting_approval' });
          continue;
        }
        if (gated)
          events.push(
            stepEvent(run, spec.id, 'waiting_approval', {
              text: `would wait for approval (${spec.approval!.approvers.roles.join(' or ')}, ${spec.approval!.approvers.min} approver(s))`,
            }),
          );
        byId.set(spec.id, { ...row, state: await queueStep(tx, run, spec, ctx, events) });
      } catch (e) {
        // A SQL error has aborted the transaction: let it fail. An expression error fails the step.
        if (e instanceof Error && e.name === 'PostgresError') throw e;
        const message = `an expression failed: ${e instanceof Error ? e.message : String(e)}`;
        await setStep(tx, run.id, spec.id, -1, 'failed', { error: { code: 'expression', message } });
        byId.set(spec.id, { ...row, state: 'failed' });
        events.push(stepEvent(run, spec.id, 'failed', { text: `failed: ${message}` }));
      }
    }
  }
  await settleRun(tx, run, [...byId.values()], events);
}

/** "block_ip failed (connector "firewall" not configured; handled by ip_not_blocked)". */
function failureText(r: StepRow, handler: string | undefined): string {
  const what = r.state === 'timed_out' ? 'timed out' : 'failed';
  const why = [r.error?.message, handler ? `handled by ${handler}` : null].filter(Boolean).join('; ');
  return `${r.step_id} ${what}${why ? ` (${why})` : ''}`;
}

/**
 * The run's state from its steps. Finished: `failed` when a step failed or timed out with no
 * on_error handler; `completed_with_failures` when every failure had a handler (the run did its
 * fallback, but the actions it meant to take were not all taken); else `succeeded` (guards'
 * skips and people's rejections are not failures).
 */
async function settleRun(tx: TransactionSql, run: RunRow, rows: readonly StepRow[], events: EngineEvent[]): Promise<void> {
  let state: RunState;
  let error: string | null = null;
  if (rows.every((r) => finished(r.state))) {
    const handlerOf = new Map(run.definition.steps.filter((s) => s.on_error).map((s) => [s.id, s.on_error!]));
    const failures = rows.filter((r) => FAILED.includes(r.state));
    const unhandled = failures.filter((r) => !handlerOf.has(r.step_id));
    state = unhandled.length ? 'failed' : failures.length ? 'completed_with_failures' : 'succeeded';
    // Unhandled failures first: they are why a run failed.
    if (failures.length)
      error = [...unhandled, ...failures.filter((r) => handlerOf.has(r.step_id))].map((r) => failureText(r, handlerOf.get(r.step_id))).join('; ');
  } else if (rows.some((r) => r.state === 'queued' || r.state === 'running')) state = 'running';
  else if (rows.some((r) => r.state === 'waiting_approval')) state = 'waiting_approval';
  else state = 'running';
  if (state === run.state) return;
  const done = FINISHED_RUN_STATES.includes(state);
  await tx`UPDATE playbook_runs SET state = ${state}, error = ${error}, finished_at = CASE WHEN ${done} THEN clock_timestamp() ELSE NULL END WHERE id = ${run.id}`;
  // A run whose gate was rejected did what people decided, so it succeeds; its entry says which
  // branch a rejection stopped, so nobody reads "succeeded" as "the host was isolated".
  const rejected = done ? rows.filter((r) => r.state === 'rejected').map((r) => r.step_id) : [];
  const notDone = rejected.length ? `; rejected, so not done: ${rejected.join(', ')}` : '';
  const text =
    state === 'failed'
      ? `run failed: ${error}${notDone}`
      : state === 'completed_with_failures'
        ? `run completed with failures: ${error}${notDone}`
        : rejected.length
          ? `run finished${notDone}`
          : undefined;
  events.push(runEvent(run, state, { text, ...(error ? { data: { error } } : {}) }));
  run.state = state;
}

/**
 * The playbook engine: durable runs on Postgres. Steps are graphile-worker jobs (run in-process,
 * LISTENing for new jobs, so any number of server processes share the work); run and step state
 * live in our tables (migration 006) and change only in transactions that hold the run's row
 * lock. At-least-once: a step attempt gets a stable idempotency key and `effects.once`, a job
 * whose token no longer matches its step does nothing, and a sweeper re-queues or times out
 * steps left `running` past their deadline by a process that died. Every change goes to the
 * recorder (incident timeline + audit). This file is the service around the state machine in
 * steps.ts: starting, executing an attempt, deciding approvals, cancelling, sweeping. It is
 * longer than most because those paths share the run lock discipline, the job token check and
 * the run cache, which stay easier to audit side by side.
 */
import { Logger as WorkerLogger, run as runWorker, type Runner, type Task } from 'graphile-worker';
import { newId } from '../../../shared/ids.ts';
import { durationMs, type Playbook, type PlaybookEvent } from '../../../shared/playbook.ts';
import type { Principal } from '../../../shared/permissions.ts';
import { DomainError } from '../../../shared/errors.ts';
import { FINISHED_RUN_STATES, FINISHED_STEP_STATES } from '../../../shared/playbooks-api.ts';
import type { SlaPolicy } from '../../../shared/sla.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import { actorOf, SYSTEM_ACTOR, type AuditActor } from '../../audit/audit-types.ts';
import type { Sql, TransactionSql } from '../../db/connect.ts';
import { getIncident } from '../../incidents/incident-queries.ts';
import type { Logger } from '../../logger.ts';
import type { DocumentManager } from '../../sync/document-types.ts';
import { ActionError, type ActionContext, type ActionDef, type ActionServices, type Json } from '../actions/types.ts';
import type { LoadResult } from '../loader.ts';
import { matchesIncident } from '../match.ts';
import { renderTemplates } from './evaluate.ts';
import { auditEventOf, createRecorder, type EngineEvent } from './recorder.ts';
import { APPROVER_EXCLUSIONS, exclusionOf, principalKey, type ApproverExclusion } from './separation.ts';
import {
  advance,
  afterItem,
  APPROVAL_TASK,
  enqueueStep,
  expressionContext,
  queueStep,
  runEvent,
  setStep,
  STEP_TASK,
  stepEvent,
  stepSpec,
  type RunRow,
  type StepJob,
  type StepRow,
} from './steps.ts';
import { KEYED_LOCK_SEEDS } from '../../db/locks.ts';

export interface EngineOptions {
  sql: Sql;
  databaseUrl: string;
  docs: DocumentManager;
  audit: AuditLog;
  logger: Logger;
  policy: SlaPolicy;
  actions: ReadonlyMap<string, ActionDef>;
  services: ActionServices;
  /** The playbooks loaded now (the loader's last result). */
  catalog: () => LoadResult;
  /** Step jobs run at once in this process (default 16). */
  concurrency?: number;
  /** Poll for delayed jobs (retries, approval expiry) this often; new jobs arrive by LISTEN (default 1 s). */
  pollIntervalMs?: number;
  /** How often the sweeper looks for steps stuck in `running` (default 5 s). */
  sweepIntervalMs?: number;
  /** How far past its deadline a running step must be before the sweeper takes it (default 10 s). */
  sweepGraceMs?: number;
  /** PLAYBOOK_COALESCE_SECONDS: an event arriving this long after an event run of the same playbook, incident and event started joins that run (default 300; it always joins an active one). */
  coalesceSeconds?: number;
}

interface StartRunRequest {
  playbook: Playbook;
  incidentId: string | null;
  dryRun: boolean;
  trigger: 'manual' | 'event' | 'webhook';
  triggerBody?: unknown;
  /** Shown as the starter; `key` (`user:<id>`, `system`, `webhook`) scopes idempotency keys and forbids self-approval (separation.ts). */
  startedBy: { name: string; key: string };
  idempotencyKey?: string | null;
  alert?: Record<string, unknown> | null;
  /**
   * Event runs only: the event this run coalesces (`alert.correlated`, `incident.status_changed:triage`).
   * While a run with the same playbook, incident and key is active or started within the coalesce
   * window, the request joins it (recorded in its `coalesced`) instead of starting another.
   */
  coalesceKey?: string | null;
}

export interface PlaybookEngine {
  start(): Promise<void>;
  close(): Promise<void>;
  /** `coalesced`: the request joined an event run already active or recent (StartRunRequest.coalesceKey). */
  startRun(req: StartRunRequest): Promise<{ runId: string; created: boolean; coalesced?: boolean }>;
  /** Start every playbook whose triggers.on has this event and which matches the incident. */
  onEvent(event: PlaybookEvent, incidentId: string, alert?: Record<string, unknown> | null, discriminator?: string): Promise<string[]>;
  cancelRun(runId: string, actor: AuditActor, reason: string): Promise<void>;
  decide(approvalId: string, who: Principal, decision: 'approve' | 'reject', reason: string): Promise<void>;
  /** Take over steps stuck in `running` (a process died); returns how many. */
  sweep(): Promise<number>;
  /** Write recorded timeline and audit entries now. */
  flush(): Promise<void>;
}

/** A lost attempt (its process died) is re-queued this many times beyond the step's retries. */
const CRASH_REQUEUES = 2;
/** A step waiting for its per-target lock tries again after one of these (spread, so waiters do not collide). */
const LOCK_WAIT_MS = [50, 100, 150, 200, 300];

const runKey = (j: Pick<StepJob, 'run' | 'step' | 'item'>): string => `${j.run}:${j.step}:${j.item}`;

function toActionError(e: unknown): ActionError {
  if (e instanceof ActionError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new ActionError('timeout', 'the attempt was aborted');
  return new ActionError('failed', e instanceof Error ? e.message : String(e));
}

async function loadRun(tx: TransactionSql | Sql, id: string, lock = false): Promise<RunRow | null> {
  const rows = lock
    ? await tx<
        RunRow[]
      >`SELECT id, playbook_id, playbook_name, definition, incident_id, state, dry_run, trigger, trigger_body, started_by, starter, context FROM playbook_runs WHERE id = ${id} FOR UPDATE`
    : await tx<
        RunRow[]
      >`SELECT id, playbook_id, playbook_name, definition, incident_id, state, dry_run, trigger, trigger_body, started_by, starter, context FROM playbook_runs WHERE id = ${id}`;
  return rows[0] ?? null;
}

function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger(() => (level, message, meta) => {
    if (level === 'error') logger.error({ worker: meta }, message);
    else if (level === 'warning') logger.warn({ worker: meta }, message);
    else logger.debug({ worker: meta }, message);
  });
}

export function createPlaybookEngine(opts: EngineOptions): PlaybookEngine {
  const { sql, logger, policy, actions, services } = opts;
  const recorder = createRecorder({ docs: opts.docs, audit: opts.audit, logger });
  /** Attempts running in this process, to abort on cancel. */
  const active = new Map<string, AbortController>();
  /** What never changes about a run (its definition, incident, starter), by id; `state` in it is stale. */
  const runCache = new Map<string, RunRow>();
  const RUN_CACHE_SIZE = 2_000;
  let runner: Runner | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let closed = false;

  async function staticRun(id: string): Promise<RunRow | null> {
    const hit = runCache.get(id);
    if (hit) return hit;
    const run = await loadRun(sql, id);
    if (run) {
      if (runCache.size >= RUN_CACHE_SIZE) runCache.delete(runCache.keys().next().value!);
      runCache.set(id, run);
    }
    return run;
  }

  const incidentNow = async (id: string | null): Promise<Record<string, unknown> | null> =>
    id ? ((await getIncident(sql, policy, id)) as unknown as Record<string, unknown> | null) : null;

  /** Run `fn` under the run's row lock, then advance the run; record the events after commit. */
  async function withRun(runId: string, fn: (tx: TransactionSql, run: RunRow, events: EngineEvent[]) => Promise<boolean | void>): Promise<void> {
    const run0 = await loadRun(sql, runId);
    const incident = await incidentNow(run0?.incident_id ?? null);
    const events: EngineEvent[] = [];
    await sql.begin(async (tx) => {
      const run = await loadRun(tx, runId, true);
      if (!run) return;
      if ((await fn(tx, run, events)) !== false) await advance(tx, run, incident, events);
      await auditIn(tx, events);
    });
    recorder.record(events);
  }

  /** Audit a transaction's events inside it: the change and its audit entry commit together. */
  async function auditIn(tx: TransactionSql, events: EngineEvent[]): Promise<void> {
    if (events.length === 0) return;
    await opts.audit.append(events.map(auditEventOf), tx);
    for (const e of events) e.audited = true;
  }

  function actionContext(run: RunRow, job: StepJob, attempt: number, signal: AbortSignal): ActionContext {
    const idempotencyKey = `${job.run}:${job.step}:${job.item}`;
    return {
      runId: run.id,
      stepId: job.step,
      index: job.item >= 0 ? job.item : null,
      attempt,
      idempotencyKey,
      dryRun: run.dry_run,
      incidentId: run.incident_id,
      actorName: `playbook ${run.playbook_id} (run ${run.id.slice(-8)})`,
      signal,
      services,
      effects: {
        async once<T extends Json>(name: string, fn: () => Promise<T>): Promise<T> {
          const [hit] = await sql<{ output: T }[]>`SELECT output FROM playbook_effects WHERE idempotency_key = ${idempotencyKey} AND name = ${name}`;
          if (hit) return hit.output;
          const output = await fn();
          await sql`INSERT INTO playbook_effects (idempotency_key, name, output) VALUES (${idempotencyKey}, ${name}, ${sql.json(output as never)}) ON CONFLICT DO NOTHING`;
          return output;
        },
      },
    };
  }

  /** Claim a queued step for this job: running, attempt + 1, deadline; null when the job is stale or must wait for its lock. */
  async function claim(job: StepJob): Promise<{ run: RunRow; attempt: number; itemValue: unknown } | null> {
    const events: EngineEvent[] = [];
    const known = await staticRun(job.run);
    if (!known) return null;
    // The common case in one statement: a queued step with this job's token and no per-target lock.
    const timeoutMs = durationMs(stepSpec(known, job.step).timeout) ?? 300_000;
    const [fast] = await sql<{ attempt: number; input: { item?: unknown } | null }[]>`UPDATE playbook_step_runs SET state = 'running', attempt = attempt + 1,
        started_at = clock_timestamp(), deadline = clock_timestamp() + ${timeoutMs} * interval '1 millisecond', error = NULL
      WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} AND state = 'queued' AND job_token = ${job.token} AND lock_key IS NULL
      RETURNING attempt, input`;
    if (fast) {
      recorder.record([
        stepEvent(known, job.step, 'running', {
          item: job.item,
          text: fast.attempt > 1 ? `running (attempt ${fast.attempt})` : 'running',
          data: { attempt: fast.attempt },
        }),
      ]);
      return { run: known, attempt: fast.attempt, itemValue: fast.input?.item };
    }
    const claimed = await sql.begin(async (tx) => {
      const [row] = await tx<{ state: string; job_token: string | null; lock_key: string | null; input: { item?: unknown } | null; attempt: number }[]>`
        SELECT state, job_token, lock_key, input, attempt FROM playbook_step_runs WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} FOR UPDATE`;
      if (!row || row.state !== 'queued' || row.job_token !== job.token) return null;
      const run = await loadRun(tx, job.run);
      if (!run || FINISHED_RUN_STATES.includes(run.state)) return null;
      const spec = stepSpec(run, job.step);
      if (row.lock_key) {
        const got = await tx`INSERT INTO playbook_locks (lock_key, run_id, step_id, item) VALUES (${row.lock_key}, ${job.run}, ${job.step}, ${job.item})
          ON CONFLICT (lock_key) DO UPDATE SET acquired_at = now() WHERE playbook_locks.run_id = ${job.run} AND playbook_locks.step_id = ${job.step} AND playbook_locks.item = ${job.item} RETURNING 1`;
        if (got.length === 0) {
          const wait = LOCK_WAIT_MS[Math.floor(Math.random() * LOCK_WAIT_MS.length)]!;
          await enqueueStep(tx, job, new Date(Date.now() + wait));
          return null;
        }
      }
      const timeoutMs = durationMs(spec.timeout) ?? 300_000;
      const [upd] = await tx<{ attempt: number }[]>`UPDATE playbook_step_runs SET state = 'running', attempt = attempt + 1, started_at = clock_timestamp(),
          deadline = clock_timestamp() + ${timeoutMs} * interval '1 millisecond', error = NULL
        WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} RETURNING attempt`;
      const attempt = upd!.attempt;
      events.push(stepEvent(run, job.step, 'running', { item: job.item, text: attempt > 1 ? `running (attempt ${attempt})` : 'running', data: { attempt } }));
      await auditIn(tx, events);
      return { run, attempt, itemValue: row.input?.item };
    });
    recorder.record(events);
    return claimed;
  }

  async function execute(
    run: RunRow,
    job: StepJob,
    attempt: number,
    itemValue: unknown,
  ): Promise<{ ok: true; output: Json; input: unknown } | { ok: false; error: ActionError; input: unknown }> {
    const spec = stepSpec(run, job.step);
    let input: unknown = null;
    const controller = new AbortController();
    const timeoutMs = durationMs(spec.timeout) ?? 300_000;
    const timer = setTimeout(() => controller.abort(new ActionError('timeout', `the attempt ran past the step's timeout (${spec.timeout})`)), timeoutMs);
    active.set(runKey(job), controller);
    try {
      // Inputs without templates need no context (no reads).
      if (JSON.stringify(spec.with).includes('{{')) {
        const steps = await sql<
          StepRow[]
        >`SELECT step_id, item, state, attempt, items_total, output, error FROM playbook_step_runs WHERE run_id = ${run.id} AND item = -1`;
        const ctx = expressionContext(run, await incidentNow(run.incident_id), steps, job.item >= 0 ? { item: itemValue, index: job.item } : undefined);
        input = await renderTemplates(spec.with, ctx);
      } else input = spec.with;
      const action = actions.get(spec.action);
      if (!action) throw new ActionError('not_configured', `unknown action ${spec.action}`);
      const parsed = action.input.safeParse(input);
      if (!parsed.success) throw new ActionError('invalid_input', parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
      const aborted = new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(toActionError(controller.signal.reason)), { once: true }),
      );
      const output = await Promise.race([action.run(parsed.data, actionContext(run, job, attempt, controller.signal)), aborted]);
      return { ok: true, output: output ?? null, input };
    } catch (e) {
      return { ok: false, error: toActionError(e), input };
    } finally {
      clearTimeout(timer);
      active.delete(runKey(job));
    }
  }

  /** Whether finishing this step may start or skip another (so the run must be advanced under its lock). */
  function affectsOthers(run: RunRow, stepId: string): boolean {
    return run.definition.steps.some((s) => s.needs.includes(stepId) || (s.id === stepId && !!s.on_error));
  }

  /**
   * A plain step nothing depends on succeeds without the run's lock, in one statement that also
   * counts the run's other unfinished steps; at none, the run is settled under its lock. (Two
   * last steps finishing at the same instant may each still see the other running: the sweeper
   * settles such a run on its next pass.)
   */
  async function completeAlone(run: RunRow, job: StepJob, attempt: number, result: Awaited<ReturnType<typeof execute>>): Promise<boolean> {
    if (!result.ok) return false;
    const [r] = await sql<{ updated: boolean; lock_key: string | null; others: number }[]>`
      WITH done AS (
        UPDATE playbook_step_runs SET state = 'succeeded', output = ${sql.json(result.output as never)}, input = ${sql.json((result.input ?? null) as never)},
          error = NULL, finished_at = clock_timestamp()
        WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = -1 AND state = 'running' AND attempt = ${attempt} RETURNING lock_key)
      SELECT EXISTS (SELECT 1 FROM done) AS updated, (SELECT lock_key FROM done) AS lock_key,
        (SELECT count(*)::int FROM playbook_step_runs WHERE run_id = ${job.run} AND item = -1 AND step_id <> ${job.step}
          AND state IN ('queued', 'running')) AS others`;
    if (!r!.updated) return true;
    if (r!.lock_key) await sql`DELETE FROM playbook_locks WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = -1`;
    recorder.record([stepEvent(run, job.step, 'succeeded')]);
    // Nothing else moving: the run is finished, or only waits for people now (settle it as waiting_approval).
    if (r!.others === 0) await withRun(job.run, async () => true);
    return true;
  }

  async function complete(job: StepJob, attempt: number, result: Awaited<ReturnType<typeof execute>>): Promise<void> {
    const known = await staticRun(job.run);
    if (known && job.item === -1 && !affectsOthers(known, job.step) && (await completeAlone(known, job, attempt, result))) return;
    await withRun(job.run, async (tx, run, events) => {
      const [row] = await tx<
        { state: string; attempt: number }[]
      >`SELECT state, attempt FROM playbook_step_runs WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} FOR UPDATE`;
      await tx`DELETE FROM playbook_locks WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item}`;
      if (!row || row.state !== 'running' || row.attempt !== attempt) return false;
      const spec = stepSpec(run, job.step);
      const input = job.item === -1 ? result.input : undefined;
      if (input !== undefined)
        await tx`UPDATE playbook_step_runs SET input = ${tx.json((input ?? null) as never)} WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item}`;
      if (result.ok) {
        await setStep(tx, job.run, job.step, job.item, 'succeeded', { output: result.output });
        events.push(stepEvent(run, job.step, 'succeeded', { item: job.item }));
      } else {
        const e = result.error;
        const error = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
        const retry = spec.retry;
        const retryable = retry && attempt <= retry.count && (retry.on ? retry.on.includes(e.code) : e.retryable);
        if (retryable && !run.dry_run) {
          const delay = Math.min((durationMs(retry.backoff) ?? 1_000) * retry.factor ** (attempt - 1), durationMs(retry.max) ?? 300_000);
          await tx`UPDATE playbook_step_runs SET error = ${tx.json(error as never)} WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item}`;
          await enqueueStep(tx, job, new Date(Date.now() + delay));
          events.push(
            stepEvent(run, job.step, 'queued', {
              item: job.item,
              text: `failed (${e.message}); retry ${attempt} of ${retry.count} in ${delay} ms`,
              data: { error: e.message, attempt, retry_in_ms: delay },
            }),
          );
        } else {
          const state = e.code === 'timeout' ? 'timed_out' : 'failed';
          await setStep(tx, job.run, job.step, job.item, state, { error });
          events.push(
            stepEvent(run, job.step, state, {
              item: job.item,
              text: `${state === 'timed_out' ? 'timed out' : 'failed'}: ${e.message}`,
              data: { error: e.message, code: e.code },
            }),
          );
        }
      }
      if (job.item >= 0) await afterItem(tx, run, spec, events);
    });
  }

  /** The server is stopping: hand an interrupted attempt back to the queue (any process takes it) instead of failing it. */
  async function requeueInterrupted(run: RunRow, job: StepJob, attempt: number): Promise<void> {
    await sql.begin(async (tx) => {
      const [row] =
        await tx`SELECT 1 FROM playbook_step_runs WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item} AND state = 'running' AND attempt = ${attempt} FOR UPDATE`;
      if (!row) return;
      await tx`DELETE FROM playbook_locks WHERE run_id = ${job.run} AND step_id = ${job.step} AND item = ${job.item}`;
      await enqueueStep(tx, job);
    });
    recorder.record([
      stepEvent(run, job.step, 'queued', { item: job.item, text: `re-queued: its server stopped during attempt ${attempt}`, data: { attempt } }),
    ]);
  }

  const stepTask: Task = async (payload) => {
    const job = payload as StepJob;
    const claimed = await claim(job);
    if (!claimed) return;
    const result = await execute(claimed.run, job, claimed.attempt, claimed.itemValue);
    if (closed && !result.ok) return requeueInterrupted(claimed.run, job, claimed.attempt);
    await complete(job, claimed.attempt, result);
  };

  async function settleApproval(
    tx: TransactionSql,
    run: RunRow,
    approvalId: string,
    stepId: string,
    outcome: 'approved' | 'rejected' | 'expired-fail',
    reason: string,
    actor: AuditActor,
    events: EngineEvent[],
  ): Promise<void> {
    if (outcome === 'approved') {
      await tx`UPDATE playbook_approvals SET state = 'approved', decided_at = now() WHERE id = ${approvalId}`;
      events.push(stepEvent(run, stepId, 'approved', { actor, text: `approved by ${actor.name}: ${reason}`, data: { approval_id: approvalId, reason } }));
      const spec = stepSpec(run, stepId);
      const steps = await tx<
        StepRow[]
      >`SELECT step_id, item, state, attempt, items_total, output, error FROM playbook_step_runs WHERE run_id = ${run.id} AND item = -1`;
      await queueStep(tx, run, spec, expressionContext(run, await incidentNow(run.incident_id), steps), events);
      return;
    }
    const expired = actor === SYSTEM_ACTOR;
    await tx`UPDATE playbook_approvals SET state = ${expired ? 'expired' : 'rejected'}, decided_at = now() WHERE id = ${approvalId}`;
    const state = outcome === 'rejected' ? 'rejected' : 'failed';
    await setStep(tx, run.id, stepId, -1, state, { error: { code: outcome === 'rejected' ? 'rejected' : 'approval_expired', message: reason } });
    events.push(
      stepEvent(run, stepId, state, {
        actor,
        text: `${state === 'rejected' ? `rejected by ${actor.name}` : 'failed'}: ${reason}`,
        data: { approval_id: approvalId, reason },
      }),
    );
  }

  const approvalTask: Task = async (payload) => {
    const { approval } = payload as { approval: string };
    const [a] = await sql<{ run_id: string }[]>`SELECT run_id FROM playbook_approvals WHERE id = ${approval}`;
    if (!a) return;
    await withRun(a.run_id, async (tx, run, events) => {
      const [row] = await tx<
        { state: string; step_id: string; on_timeout: string; expires_at: Date }[]
      >`SELECT state, step_id, on_timeout, expires_at FROM playbook_approvals WHERE id = ${approval} FOR UPDATE`;
      if (!row || row.state !== 'pending' || row.expires_at.getTime() > Date.now() + 1_000) return false;
      const reason = `nobody decided before ${row.expires_at.toISOString()} (on_timeout: ${row.on_timeout})`;
      if (row.on_timeout === 'approve') await settleApproval(tx, run, approval, row.step_id, 'approved', reason, SYSTEM_ACTOR, events);
      else await settleApproval(tx, run, approval, row.step_id, row.on_timeout === 'reject' ? 'rejected' : 'expired-fail', reason, SYSTEM_ACTOR, events);
    });
  };

  async function sweep(): Promise<number> {
    const grace = opts.sweepGraceMs ?? 10_000;
    // Runs whose every step finished, or that only wait for approvals, but which nobody settled (see completeAlone).
    const unsettled = await sql<{ id: string }[]>`SELECT r.id FROM playbook_runs r
      WHERE r.state IN ('queued', 'running') AND r.created_at < now() - interval '1 second'
        AND NOT EXISTS (SELECT 1 FROM playbook_step_runs s WHERE s.run_id = r.id AND s.item = -1 AND s.state IN ('queued', 'running'))
        AND (NOT EXISTS (SELECT 1 FROM playbook_step_runs s WHERE s.run_id = r.id AND s.item = -1 AND s.state = 'pending')
          OR EXISTS (SELECT 1 FROM playbook_step_runs s WHERE s.run_id = r.id AND s.item = -1 AND s.state = 'waiting_approval')) LIMIT 100`;
    for (const r of unsettled) await withRun(r.id, async () => true);
    const stuck = await sql<{ run_id: string; step_id: string; item: number }[]>`
      SELECT run_id, step_id, item FROM playbook_step_runs WHERE state = 'running' AND deadline < now() - ${grace} * interval '1 millisecond' LIMIT 100`;
    for (const s of stuck) {
      await withRun(s.run_id, async (tx, run, events) => {
        const [row] = await tx<
          { state: string; attempt: number }[]
        >`SELECT state, attempt FROM playbook_step_runs WHERE run_id = ${s.run_id} AND step_id = ${s.step_id} AND item = ${s.item}
          AND state = 'running' AND deadline < now() - ${grace} * interval '1 millisecond' FOR UPDATE`;
        if (!row) return false;
        await tx`DELETE FROM playbook_locks WHERE run_id = ${s.run_id} AND step_id = ${s.step_id} AND item = ${s.item}`;
        const spec = stepSpec(run, s.step_id);
        if (row.attempt <= (spec.retry?.count ?? 0) + CRASH_REQUEUES) {
          await enqueueStep(tx, { run: s.run_id, step: s.step_id, item: s.item });
          events.push(
            stepEvent(run, s.step_id, 'queued', {
              item: s.item,
              text: `re-queued: attempt ${row.attempt} was lost (its server stopped)`,
              data: { attempt: row.attempt },
            }),
          );
        } else {
          await setStep(tx, s.run_id, s.step_id, s.item, 'timed_out', { error: { code: 'timeout', message: 'the attempt was lost and no attempts are left' } });
          events.push(stepEvent(run, s.step_id, 'timed_out', { item: s.item, text: 'timed out: the attempt was lost and no attempts are left' }));
          if (s.item >= 0) await afterItem(tx, run, spec, events);
        }
      });
    }
    return stuck.length;
  }

  async function startRun(req: StartRunRequest): Promise<{ runId: string; created: boolean; coalesced?: boolean }> {
    const incident = await incidentNow(req.incidentId);
    const id = newId();
    const events: EngineEvent[] = [];
    const pb = req.playbook;
    const coalesceKey = req.trigger === 'event' && req.incidentId && req.coalesceKey ? req.coalesceKey : null;
    // One entry of the run's `coalesced` list; `key` (the idempotency key) recognises a repeat and stays out of the API.
    const trigger = {
      ...(req.triggerBody && typeof req.triggerBody === 'object' ? req.triggerBody : {}),
      at: new Date().toISOString(),
      key: req.idempotencyKey ?? null,
    };
    const result = await sql.begin(async (tx) => {
      if (coalesceKey) {
        // Serialise starts of this playbook on this incident for this event across processes: the
        // second of two events a second apart waits here, then finds the first's run and joins it.
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`playbook-coalesce:${pb.id}:${req.incidentId}:${coalesceKey}`}, ${KEYED_LOCK_SEEDS.playbookCoalesce}))`;
        // The same event again (its idempotency key): the run that started with it or took it in.
        const [prior] = await tx<
          { id: string }[]
        >`SELECT id FROM playbook_runs WHERE (starter = ${req.startedBy.key} AND idempotency_key = ${req.idempotencyKey ?? null})
          OR (incident_id = ${req.incidentId} AND playbook_id = ${pb.id} AND coalesce_key = ${coalesceKey} AND coalesced @> ${tx.json([{ key: req.idempotencyKey ?? null }] as never)}::jsonb) LIMIT 1`;
        if (prior) return { runId: prior.id, created: false };
        const [open] = await tx<{ id: string }[]>`UPDATE playbook_runs SET coalesced = coalesced || ${tx.json([trigger] as never)}::jsonb
          WHERE id = (SELECT id FROM playbook_runs WHERE incident_id = ${req.incidentId} AND playbook_id = ${pb.id} AND coalesce_key = ${coalesceKey}
            AND (state IN ('queued', 'running', 'waiting_approval') OR created_at > now() - make_interval(secs => ${opts.coalesceSeconds ?? 300}))
            ORDER BY created_at DESC LIMIT 1)
          RETURNING id`;
        if (open) return { runId: open.id, created: false, coalesced: true };
      }
      const inserted = await tx<
        { id: string }[]
      >`INSERT INTO playbook_runs (id, playbook_id, playbook_name, version, definition, incident_id, state, dry_run, trigger, trigger_body, started_by, starter, idempotency_key, context, coalesce_key, coalesced)
        VALUES (${id}, ${pb.id}, ${pb.name}, ${pb.version}, ${tx.json(pb as never)}, ${req.incidentId}, 'queued', ${req.dryRun}, ${req.trigger}, ${tx.json((req.triggerBody ?? null) as never)},
          ${req.startedBy.name}, ${req.startedBy.key}, ${req.idempotencyKey ?? null}, ${tx.json({ incident, alert: req.alert ?? null } as never)},
          ${coalesceKey}, ${tx.json((coalesceKey ? [trigger] : []) as never)})
        ON CONFLICT (starter, idempotency_key) DO NOTHING RETURNING id`;
      if (inserted.length === 0) {
        const [prior] = await tx<
          { id: string }[]
        >`SELECT id FROM playbook_runs WHERE starter = ${req.startedBy.key} AND idempotency_key = ${req.idempotencyKey ?? null}`;
        return { runId: prior!.id, created: false };
      }
      await tx`INSERT INTO playbook_step_runs (run_id, step_id, state) SELECT ${id}, unnest(${pb.steps.map((s) => s.id)}::text[]), 'pending'`;
      const run = (await loadRun(tx, id, true))!;
      events.push(
        runEvent(run, 'queued', {
          text: `${req.dryRun ? 'dry run' : 'run'} started by ${req.startedBy.name} (${req.trigger})`,
          actor: req.startedBy.key.startsWith('user:') ? { kind: 'user', id: req.startedBy.key.slice(5), name: req.startedBy.name } : SYSTEM_ACTOR,
        }),
      );
      await advance(tx, run, incident, events);
      await auditIn(tx, events);
      return { runId: id, created: true };
    });
    recorder.record(events);
    return result;
  }

  return {
    async start() {
      runner = await runWorker({
        connectionString: opts.databaseUrl,
        concurrency: opts.concurrency ?? 16,
        maxPoolSize: (opts.concurrency ?? 16) + 2,
        noHandleSignals: true,
        pollInterval: opts.pollIntervalMs ?? 1_000,
        logger: workerLogger(logger),
        taskList: { [STEP_TASK]: stepTask, [APPROVAL_TASK]: approvalTask },
      });
      const every = opts.sweepIntervalMs ?? 5_000;
      sweeper = setInterval(() => {
        if (!closed) sweep().catch((e: unknown) => logger.error({ err: e }, 'playbook sweeper failed'));
      }, every);
      sweeper.unref();
    },
    async close() {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      for (const c of active.values()) c.abort(new ActionError('timeout', 'the server is stopping'));
      await runner?.stop();
      await recorder.flush();
    },
    startRun,
    async onEvent(event, incidentId, alert = null, discriminator = '') {
      const incident = await incidentNow(incidentId);
      if (!incident) return [];
      const started: string[] = [];
      for (const loaded of opts.catalog().playbooks) {
        const playbook = loaded.def;
        if (!playbook.triggers.on.includes(event)) continue;
        if (!(await matchesIncident(loaded, incident, alert))) continue;
        const r = await startRun({
          playbook,
          incidentId,
          dryRun: false,
          trigger: 'event',
          triggerBody: { event, incident_id: incidentId, ...(alert ? { alert_id: alert['id'] ?? null } : {}) },
          startedBy: { name: 'system', key: 'system' },
          idempotencyKey: `${playbook.id}:${event}:${incidentId}:${discriminator}`,
          alert,
          // A status change coalesces with changes to the same status only: triage then containment are two runs.
          coalesceKey: event === 'incident.status_changed' ? `${event}:${String(incident['status'])}` : event,
        });
        if (r.created) started.push(r.runId);
      }
      return started;
    },
    async cancelRun(runId, actor, reason) {
      let found = false;
      await withRun(runId, async (tx, run, events) => {
        found = true;
        if (FINISHED_RUN_STATES.includes(run.state))
          throw new DomainError(
            'conflict',
            `the run has already ${run.state === 'cancelled' ? 'been cancelled' : run.state === 'completed_with_failures' ? 'completed (with failures)' : run.state}`,
          );
        const open = await tx<{ step_id: string; item: number }[]>`UPDATE playbook_step_runs SET state = 'cancelled', finished_at = clock_timestamp()
          WHERE run_id = ${runId} AND state <> ALL(${[...FINISHED_STEP_STATES]}::text[]) RETURNING step_id, item`;
        await tx`UPDATE playbook_approvals SET state = 'cancelled', decided_at = now() WHERE run_id = ${runId} AND state = 'pending'`;
        await tx`DELETE FROM playbook_locks WHERE run_id = ${runId}`;
        await tx`UPDATE playbook_runs SET state = 'cancelled', finished_at = clock_timestamp(), error = ${reason ? `cancelled by ${actor.name}: ${reason}` : `cancelled by ${actor.name}`} WHERE id = ${runId}`;
        for (const s of open) if (s.item === -1) events.push(stepEvent(run, s.step_id, 'cancelled'));
        events.push(runEvent(run, 'cancelled', { actor, text: `run cancelled by ${actor.name}${reason ? `: ${reason}` : ''}`, data: { reason } }));
        for (const s of open) active.get(runKey({ run: runId, step: s.step_id, item: s.item }))?.abort(new ActionError('failed', 'the run was cancelled'));
        return false;
      });
      if (!found) throw new DomainError('not_found', 'no such run');
    },
    async decide(approvalId, who, decision, reason) {
      const [a] = await sql<{ run_id: string }[]>`SELECT run_id FROM playbook_approvals WHERE id = ${approvalId}`;
      if (!a) throw new DomainError('not_found', 'no such approval');
      const actor = actorOf(who);
      await withRun(a.run_id, async (tx, run, events) => {
        const [row] = await tx<
          { state: string; step_id: string; roles: string[]; min_approvers: number }[]
        >`SELECT state, step_id, roles, min_approvers FROM playbook_approvals WHERE id = ${approvalId} FOR UPDATE`;
        if (!row) throw new DomainError('not_found', 'no such approval');
        if (row.state !== 'pending') throw new DomainError('conflict', `the approval is already ${row.state}`);
        if (!row.roles.includes(who.role))
          throw new DomainError('forbidden', `this approval needs one of the roles ${row.roles.join(', ')}; you are ${who.role}`, { roles: row.roles });
        const key = principalKey(who);
        const [sod] = await tx<
          { excluded: ApproverExclusion | null }[]
        >`SELECT ${exclusionOf(tx, key)} AS excluded FROM playbook_runs r WHERE r.id = ${run.id}`;
        if (sod?.excluded) throw new DomainError('forbidden', APPROVER_EXCLUSIONS[sod.excluded], { reason: sod.excluded, rule: 'separation_of_duties' });
        const added =
          await tx`INSERT INTO playbook_approval_decisions (approval_id, user_id, user_name, decision, reason) VALUES (${approvalId}, ${key}, ${who.name}, ${decision}, ${reason})
          ON CONFLICT DO NOTHING RETURNING 1`;
        if (added.length === 0) throw new DomainError('conflict', 'you have already decided on this approval');
        if (decision === 'reject') {
          await settleApproval(tx, run, approvalId, row.step_id, 'rejected', reason, actor, events);
          return;
        }
        const [{ n }] = (await tx<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM playbook_approval_decisions WHERE approval_id = ${approvalId} AND decision = 'approve'`) as unknown as [{ n: number }];
        if (n >= row.min_approvers) await settleApproval(tx, run, approvalId, row.step_id, 'approved', reason, actor, events);
        else
          events.push(
            stepEvent(run, row.step_id, 'waiting_approval', {
              actor,
              text: `approved by ${actor.name} (${n} of ${row.min_approvers}): ${reason}`,
              data: { approval_id: approvalId, reason },
            }),
          );
      });
    },
    sweep,
    flush: () => recorder.flush(),
  };
}

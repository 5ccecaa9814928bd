// @vitest-environment node
/**
 * The engine's semantics through the API on a real server and Postgres: parallel steps overlap,
 * retries back off, an attempt past its timeout is stopped, guards skip, on_error takes over,
 * approvals gate only their branch (reject stops it with the reason; min approvers; the starter
 * cannot approve), cancel, dry run, idempotent starts, and every step state lands in the
 * incident's timeline as an automation entry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readIncident } from '../../shared/incident-doc.ts';
import type { Approval, Run } from '../../shared/playbooks-api.ts';
import { ActionError, defineAction, type ActionDef } from './actions/types.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { automationTexts, runSteps } from './testing/run-entries.ts';

const attemptTimes = new Map<string, number[]>();
const flaky = defineAction({
  name: 'test.flaky',
  description: 'Fails with a network error until attempt `succeed_on`.',
  input: z.object({ succeed_on: z.int() }).strict(),
  effect: false,
  run: async (i, ctx) => {
    attemptTimes.set(ctx.idempotencyKey, [...(attemptTimes.get(ctx.idempotencyKey) ?? []), Date.now()]);
    if (ctx.attempt < i.succeed_on) throw new ActionError('network', `refused (attempt ${ctx.attempt})`);
    return { attempt: ctx.attempt };
  },
});

const PLAYBOOKS: Record<string, string> = {
  'parallel.yaml': `
id: parallel
name: Parallel
version: 1
steps:
  - { id: a, action: core.wait, with: { ms: 400 } }
  - { id: b, action: core.wait, with: { ms: 400 } }
  - { id: c, action: core.wait, with: { ms: 400 } }
  - { id: d, action: core.noop, needs: [a, b, c], with: { total: "{{ steps.a.output.waited_ms + steps.b.output.waited_ms }}" } }
`,
  'retry.yaml': `
id: retry
name: Retry
version: 1
steps:
  - id: flaky
    action: test.flaky
    with: { succeed_on: 3 }
    retry: { count: 3, backoff: 150ms, factor: 2 }
`,
  'timeout.yaml': `
id: timeout
name: Timeout
version: 1
steps:
  - { id: slow, action: core.wait, with: { ms: 10000 }, timeout: 300ms }
  - { id: after, action: core.noop, needs: [slow] }
`,
  'branches.yaml': `
id: branches
name: Branches
version: 1
steps:
  - { id: skipped, action: core.noop, if: incident.severity = "S5" }
  - { id: after_skipped, action: core.noop, needs: [skipped] }
  - { id: broken, action: core.fail, with: { message: tool down }, on_error: fallback }
  - { id: fallback, action: core.noop, with: { note: handled } }
  - { id: never, action: core.noop, needs: [broken] }
  - id: items
    action: core.noop
    for_each: { items: '["x", "y", "z"]', concurrency: 2 }
    with: { value: "{{ item }}", index: "{{ index }}" }
`,
  'gate.yaml': `
id: gate
name: Gated containment
version: 1
steps:
  - { id: free, action: incident.set_status, with: { status: triage } }
  - id: contain
    needs: [free]
    action: incident.set_status
    with: { status: containment, reason: approved containment }
    approval:
      required_if: incident.severity in ["S1", "S2"]
      approvers: { roles: [lead], min: 2 }
      message: "Contain {{ incident.title }}?"
  - { id: after_contain, action: core.noop, needs: [contain] }
`,
  'on-events.yaml': `
id: on-events
name: On events
version: 1
match: { tags: [auto] }
triggers: { manual: false, on: [incident.created, incident.status_changed] }
steps:
  - { id: note, action: core.noop, with: { event: "{{ trigger.event }}", status: "{{ incident.status }}" } }
`,
  'expiring.yaml': `
id: expiring
name: Expiring
version: 1
steps:
  - id: gated
    action: core.noop
    approval: { message: "Nobody will answer", timeout: 1s, on_timeout: reject }
  - id: gated_ok
    action: core.noop
    approval: { message: "Silence is consent", timeout: 1s, on_timeout: approve }
`,
  'locked.yaml': `
id: locked
name: Locked
version: 1
steps:
  - id: isolate
    action: core.wait
    concurrency: { key: '"host-1"' }
    with: { ms: 300 }
`,
  'on-alert.yaml': `
id: on-alert
name: On alert
version: 1
match: { when: '$contains(incident.title, "Password spray")' }
triggers: { manual: false, on: [alert.correlated] }
steps:
  - { id: note, action: core.noop, with: { alert: "{{ alert.title }}", ips: "{{ alert.observables.ips }}" } }
`,
  'coalesce.yaml': `
id: coalesce
name: Coalesce
version: 1
match: { when: '$contains(incident.title, "Coalesce")' }
triggers: { manual: true, on: [alert.correlated] }
steps:
  - { id: note, action: core.wait, with: { ms: 300 } }
`,
  'items.yaml': `
id: items
name: Items
version: 1
steps:
  - id: each
    action: core.wait
    for_each: { items: '[1, 2, 3, 4, 5]', concurrency: 2 }
    with: { ms: 200 }
`,
  'long.yaml': `
id: long
name: Long
version: 1
steps:
  - { id: sleep, action: core.wait, with: { ms: 20000 } }
`,
};

let ts: TestServer;
let dir: string;

async function newIncident(severity = 'S3', title = 'Engine test'): Promise<string> {
  const res = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title, severity, category: 'account_compromise' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function start(
  incident: string,
  playbook: string,
  opts: { as?: Awaited<ReturnType<TestServer['as']>>; dry_run?: boolean; key?: string } = {},
): Promise<{ status: number; run: Run }> {
  const res = await ts.fetch(`/api/v1/incidents/${incident}/execute-workflow`, {
    method: 'POST',
    as: opts.as,
    headers: opts.key ? { 'idempotency-key': opts.key } : {},
    json: { playbook_id: playbook, dry_run: opts.dry_run ?? false },
  });
  const body = (await res.json()) as Run;
  if (res.status >= 300) throw new Error(`start ${playbook}: ${res.status} ${JSON.stringify(body)}`);
  return { status: res.status, run: body };
}

async function runNow(id: string): Promise<Run> {
  return (await (await ts.fetch(`/api/v1/runs/${id}`)).json()) as Run;
}

async function finished(id: string, timeoutMs = 10_000): Promise<Run> {
  return waitFor(
    async () => {
      const r = await runNow(id);
      return ['succeeded', 'completed_with_failures', 'failed', 'cancelled'].includes(r.state) ? r : null;
    },
    { timeoutMs, message: `run ${id} to finish` },
  );
}

const step = (run: Run, id: string): Run['steps'][number] => run.steps.find((s) => s.step_id === id)!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-pb-'));
  for (const [name, text] of Object.entries(PLAYBOOKS)) await writeFile(join(dir, name), text);
  ts = await startTestServer({
    playbooks: { dir, extraActions: [flaky as unknown as ActionDef], engine: { sweepIntervalMs: 200, sweepGraceMs: 500, pollIntervalMs: 50 } },
  });
});

afterAll(async () => {
  await ts?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('playbook engine', () => {
  it('lists the loaded playbooks', async () => {
    const res = await ts.fetch('/api/v1/workflows');
    const body = (await res.json()) as { items: { id: string }[]; refused: unknown[] };
    expect(body.items.map((i) => i.id).sort()).toEqual(
      Object.keys(PLAYBOOKS)
        .map((f) => f.replace('.yaml', ''))
        .sort(),
    );
    expect(body.refused).toEqual([]);
  });

  it('PB10: runs steps without a path between them in parallel, then the step that needs them', async () => {
    const incident = await newIncident();
    const { status, run } = await start(incident, 'parallel');
    expect(status).toBe(202);
    const done = await finished(run.id);
    expect(done.state).toBe('succeeded');
    const [a, b, c] = ['a', 'b', 'c'].map((id) => step(done, id));
    const starts = [a!, b!, c!].map((s) => Date.parse(s.started_at!));
    const ends = [a!, b!, c!].map((s) => Date.parse(s.finished_at!));
    // Every wait started before any of them finished: they overlapped.
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    expect(Date.parse(step(done, 'd').started_at!)).toBeGreaterThanOrEqual(Math.max(...ends));
    expect(step(done, 'd').output).toEqual({ total: 800 });
  });

  it('PB13: retries a failing step with growing backoff until it succeeds', async () => {
    const incident = await newIncident();
    const { run } = await start(incident, 'retry');
    const done = await finished(run.id);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'flaky').attempt).toBe(3);
    const times = attemptTimes.get(`${run.id}:flaky:-1`)!;
    expect(times).toHaveLength(3);
    const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(150);
    expect(gaps[1]).toBeGreaterThanOrEqual(300);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
  });

  it('PB10, PB12: stops an attempt at its timeout and skips what needs it', async () => {
    const incident = await newIncident();
    const { run } = await start(incident, 'timeout');
    const t0 = Date.now();
    const done = await finished(run.id);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(step(done, 'slow').state).toBe('timed_out');
    expect(step(done, 'slow').error?.code).toBe('timeout');
    expect(step(done, 'after').state).toBe('skipped');
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/slow/);
  });

  it('PB10: skips on a false guard, goes to on_error, runs for_each items', async () => {
    const incident = await newIncident('S3');
    const { run } = await start(incident, 'branches');
    const done = await finished(run.id);
    expect(step(done, 'skipped').state).toBe('skipped');
    expect(step(done, 'after_skipped').state).toBe('succeeded');
    expect(step(done, 'broken').state).toBe('failed');
    expect(step(done, 'broken').error).toEqual({ code: 'failed', message: 'tool down' });
    expect(step(done, 'fallback').state).toBe('succeeded');
    expect(step(done, 'never').state).toBe('skipped');
    expect(step(done, 'items').output).toEqual([
      { value: 'x', index: 0 },
      { value: 'y', index: 1 },
      { value: 'z', index: 2 },
    ]);
    expect(step(done, 'items').items_done).toBe(3);
    // The failure was handled, but the step's action was not taken: the run says so.
    expect(done.state).toBe('completed_with_failures');
    expect(done.failures).toEqual([
      { step_id: 'broken', name: null, action: 'core.fail', state: 'failed', code: 'failed', message: 'tool down', handled_by: 'fallback' },
    ]);
    expect(done.error).toBe('broken failed (tool down; handled by fallback)');
  });

  it('PB18, PB19: gates a step behind approvals: only its branch waits, the starter cannot approve, two leads must', async () => {
    const incident = await newIncident('S2', 'Gate me');
    const starter = await ts.as('lead');
    const { run } = await start(incident, 'gate', { as: starter });
    const waiting = await waitFor(async () => {
      const r = await runNow(run.id);
      return r.state === 'waiting_approval' ? r : null;
    });
    // The step before the gate ran.
    expect(step(waiting, 'free').state).toBe('succeeded');
    expect(step(waiting, 'contain').state).toBe('waiting_approval');
    expect(step(waiting, 'after_contain').state).toBe('pending');
    const approvalId = step(waiting, 'contain').approval_id!;
    const list = (await (await ts.fetch('/api/v1/approvals?status=pending', { as: starter })).json()) as { items: Approval[] };
    const approval = list.items.find((a) => a.id === approvalId)!;
    expect(approval.message).toBe('Contain Gate me?');
    expect(approval.min_approvers).toBe(2);

    const decide = (as: Awaited<ReturnType<TestServer['as']>> | undefined, decision: string, reason = 'looks right') =>
      ts.fetch(`/api/v1/approvals/${approvalId}/decide`, { method: 'POST', as, json: { decision, reason } });
    const own = await decide(starter, 'approve');
    expect(own.status).toBe(403);
    expect(((await own.json()) as { error: { message: string } }).error.message).toMatch(/you started this run/);
    const analyst = await ts.as('analyst');
    expect((await decide(analyst, 'approve')).status).toBe(403);
    // The admin has playbook:approve but the gate names only leads.
    const byAdmin = await decide(undefined, 'approve');
    expect(byAdmin.status).toBe(403);
    expect(((await byAdmin.json()) as { error: { message: string } }).error.message).toMatch(/roles lead/);
    const noReason = await decide(await ts.as('lead'), 'approve', '');
    expect(noReason.status).toBe(400);

    const first = await ts.as('lead');
    const one = await decide(first, 'approve', 'confirmed with the owner');
    expect(one.status).toBe(200);
    expect(((await one.json()) as Approval).state).toBe('pending');
    expect((await decide(first, 'approve')).status).toBe(409);
    const two = await decide(await ts.as('lead'), 'approve', 'second pair of eyes');
    expect(((await two.json()) as Approval).state).toBe('approved');

    const done = await finished(run.id);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'contain').state).toBe('succeeded');
    expect(step(done, 'after_contain').state).toBe('succeeded');
    await waitFor(async () => ts.server.docs.withDoc(incident, (doc) => readIncident(doc)!.incident.meta.status === 'containment'));
  });

  it('PB19: a rejection stops the branch and records why', async () => {
    const incident = await newIncident('S1');
    const { run } = await start(incident, 'gate');
    const waiting = await waitFor(async () => {
      const r = await runNow(run.id);
      return step(r, 'contain').approval_id ? r : null;
    });
    const res = await ts.fetch(`/api/v1/approvals/${step(waiting, 'contain').approval_id}/decide`, {
      method: 'POST',
      as: await ts.as('lead'),
      json: { decision: 'reject', reason: 'the CEO is presenting right now' },
    });
    expect(res.status).toBe(200);
    const done = await finished(run.id);
    expect(step(done, 'contain').state).toBe('rejected');
    expect(step(done, 'contain').error?.message).toBe('the CEO is presenting right now');
    expect(step(done, 'after_contain').state).toBe('skipped');
    await ts.server.playbooks.engine.flush();
    const texts = await ts.server.docs.withDoc(incident, (doc) => automationTexts(readIncident(doc)!.incident.timeline));
    expect(texts.some((t) => /step contain rejected by .*: the CEO is presenting right now/.test(t))).toBe(true);
    expect(texts.at(-1)).toMatch(/: run finished; rejected, so not done: contain$/);
    expect(await ts.server.docs.withDoc(incident, (doc) => readIncident(doc)!.incident.meta.status)).not.toBe('containment');
  });

  it('PB18: runs with no gate when the approval condition does not hold', async () => {
    const incident = await newIncident('S4');
    const { run } = await start(incident, 'gate');
    const done = await finished(run.id);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'contain').approval_id).toBeNull();
    expect(step(done, 'contain').state).toBe('succeeded');
  });

  it('PB18: an approval nobody decides times out with its on_timeout outcome', async () => {
    const { run } = await start(await newIncident(), 'expiring');
    const done = await finished(run.id);
    expect(step(done, 'gated').state).toBe('rejected');
    expect(step(done, 'gated').error?.message).toMatch(/nobody decided/);
    expect(step(done, 'gated_ok').state).toBe('succeeded');
    const expired = (await (await ts.fetch('/api/v1/approvals?status=expired')).json()) as { items: Approval[] };
    expect(expired.items.filter((a) => a.run_id === run.id).map((a) => a.step_id)).toEqual(['gated']);
    const approved = (await (await ts.fetch('/api/v1/approvals?status=approved')).json()) as { items: Approval[] };
    expect(approved.items.filter((a) => a.run_id === run.id).map((a) => a.step_id)).toEqual(['gated_ok']);
  });

  it('runs for_each items at most `concurrency` at a time', async () => {
    const { run } = await start(await newIncident(), 'items');
    const done = await finished(run.id);
    expect(step(done, 'each').state).toBe('succeeded');
    expect(step(done, 'each').items_done).toBe(5);
    const items = await ts.server.sql<
      { started_at: Date; finished_at: Date }[]
    >`SELECT started_at, finished_at FROM playbook_step_runs WHERE run_id = ${run.id} AND item >= 0`;
    const most = Math.max(...items.map((a) => items.filter((b) => b.started_at <= a.started_at && b.finished_at > a.started_at).length));
    expect(most).toBe(2);
  });

  it('PB14: a per-target lock lets one step per key run at a time, across runs', async () => {
    const incident = await newIncident();
    const runs = await Promise.all([1, 2, 3].map(() => start(incident, 'locked')));
    const done = await Promise.all(runs.map((r) => finished(r.run.id)));
    const spans = done
      .map((r) => [Date.parse(step(r, 'isolate').started_at!), Date.parse(step(r, 'isolate').finished_at!)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(done.every((r) => r.state === 'succeeded')).toBe(true);
  });

  it('PB16: a dry run shows what would happen without acting', async () => {
    const incident = await newIncident('S1');
    expect((await ts.fetch(`/api/v1/incidents/${incident}`, { method: 'PATCH', json: { status: 'triage' } })).status).toBe(200);
    const { run } = await start(incident, 'gate', { dry_run: true });
    const done = await finished(run.id);
    expect(done.dry_run).toBe(true);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'contain').output).toEqual({ dry_run: true, would: { from: 'triage', to: 'containment' } });
    expect(await ts.server.docs.withDoc(incident, (doc) => readIncident(doc)!.incident.meta.status)).toBe('triage');
    await ts.server.playbooks.engine.flush();
    const texts = await ts.server.docs.withDoc(incident, (doc) => automationTexts(readIncident(doc)!.incident.timeline));
    expect(texts.some((t) => /\(dry run\): step contain would wait for approval/.test(t))).toBe(true);
  });

  it('PB7: the same idempotency key answers the same run', async () => {
    const incident = await newIncident();
    const first = await start(incident, 'parallel', { key: 'replay-key-1' });
    const again = await start(incident, 'parallel', { key: 'replay-key-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.run.id).toBe(first.run.id);
    expect(((await (await ts.fetch(`/api/v1/incidents/${incident}/runs`)).json()) as { items: Run[] }).items).toHaveLength(1);
  });

  it('PB15: cancels a run in flight', async () => {
    const incident = await newIncident();
    const { run } = await start(incident, 'long');
    await waitFor(async () => step(await runNow(run.id), 'sleep').state === 'running');
    const res = await ts.fetch(`/api/v1/runs/${run.id}/cancel`, { method: 'POST', json: { reason: 'wrong incident' } });
    expect(res.status).toBe(200);
    const done = await runNow(run.id);
    expect(done.state).toBe('cancelled');
    expect(step(done, 'sleep').state).toBe('cancelled');
    expect((await ts.fetch(`/api/v1/runs/${run.id}/cancel`, { method: 'POST', json: {} })).status).toBe(409);
  });

  it('ID2: refuses to run for someone without playbook:run, before looking at the incident', async () => {
    const viewer = await ts.as('viewer');
    const res = await ts.fetch(`/api/v1/incidents/${crypto.randomUUID()}/execute-workflow`, { method: 'POST', as: viewer, json: { playbook_id: 'parallel' } });
    expect(res.status).toBe(403);
    const bad = await ts.fetch(`/api/v1/incidents/${await newIncident()}/execute-workflow`, { method: 'POST', json: { playbook_id: 'nope' } });
    expect(bad.status).toBe(404);
  });

  it('PB5: starts playbooks on incident.created and incident.status_changed for matching incidents only', async () => {
    const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Auto', tags: ['auto'] } });
    const id = ((await created.json()) as { id: string }).id;
    const other = await newIncident();
    const runsOf = async (incident: string): Promise<Run[]> =>
      ((await (await ts.fetch(`/api/v1/incidents/${incident}/runs`)).json()) as { items: Run[] }).items;
    const first = await waitFor(
      async () => {
        const runs = await runsOf(id);
        return runs.length === 1 && runs[0]!.state === 'succeeded' ? runs[0] : null;
      },
      { message: 'the incident.created run' },
    );
    expect(first.trigger).toBe('event');
    expect(first.started_by).toBe('system');
    expect(first.steps[0]!.output).toEqual({ event: 'incident.created', status: 'new' });
    expect((await ts.fetch(`/api/v1/incidents/${id}`, { method: 'PATCH', json: { status: 'triage' } })).status).toBe(200);
    const runs = await waitFor(
      async () => {
        const r = await runsOf(id);
        return r.length === 2 && r.every((x) => x.state === 'succeeded') ? r : null;
      },
      { message: 'the incident.status_changed run' },
    );
    expect(runs[0]!.steps[0]!.output).toEqual({ event: 'incident.status_changed', status: 'triage' });
    // Polling again fires nothing more; the incident without the tag started nothing.
    expect(await ts.server.playbooks.events.poll()).toBe(0);
    expect(await runsOf(id)).toHaveLength(2);
    expect(await runsOf(other)).toHaveLength(0);
  });

  it('starts playbooks on alert.correlated with the alert in the context', async () => {
    const res = await ts.fetch('/api/v1/alerts', {
      method: 'POST',
      json: { source: 'idp', type: 'spray', title: 'Password spray on VPN', severity: 'high', observables: { ips: ['192.0.2.44'] } },
    });
    expect(res.status).toBe(200);
    const incident = ((await res.json()) as { items: { incident_id: string }[] }).items[0]!.incident_id;
    const run = await waitFor(
      async () => {
        const runs = ((await (await ts.fetch(`/api/v1/incidents/${incident}/runs`)).json()) as { items: Run[] }).items;
        return runs[0]?.state === 'succeeded' ? runs[0] : null;
      },
      { message: 'the alert.correlated run' },
    );
    expect(run.playbook_id).toBe('on-alert');
    expect(run.steps[0]!.output).toEqual({ alert: 'Password spray on VPN', ips: ['192.0.2.44'] });
  });

  it('PB6: coalesces alert.correlated events on one incident into one run while active or recent; a manual run still starts (issue 20)', async () => {
    const incident = await newIncident('S3', 'Coalesce: ransomware on FS01');
    const fire = (n: number): Promise<string[]> =>
      ts.server.playbooks.engine.onEvent('alert.correlated', incident, { id: `alert-${n}`, title: `Alert ${n}` }, `alert-${n}`);
    const runsOf = async (): Promise<Run[]> =>
      ((await (await ts.fetch(`/api/v1/incidents/${incident}/runs`)).json()) as { items: Run[] }).items.filter((r) => r.playbook_id === 'coalesce');
    // Two alerts correlated at the same moment, as two processes would see them.
    const started = (await Promise.all([fire(1), fire(2)])).flat();
    expect(started).toHaveLength(1);
    const [run] = await runsOf();
    expect(await runsOf()).toHaveLength(1);
    expect(run!.coalesced).toBe(2);
    expect(run!.coalesced_triggers.map((t) => t.alert_id).toSorted()).toEqual(['alert-1', 'alert-2']);
    // The same event seen again is not counted twice; a later one within the window joins the finished run.
    expect(await fire(1)).toEqual([]);
    expect(await fire(2)).toEqual([]);
    expect((await runNow(run!.id)).coalesced).toBe(2);
    await finished(run!.id);
    expect(await fire(3)).toEqual([]);
    expect((await runNow(run!.id)).coalesced).toBe(3);
    // Past the window a new event starts a new run.
    await ts.server.sql`UPDATE playbook_runs SET created_at = created_at - interval '301 seconds' WHERE id = ${run!.id}`;
    expect(await fire(4)).toHaveLength(1);
    // A manual run is never coalesced.
    const { run: manual } = await start(incident, 'coalesce');
    expect(manual.trigger).toBe('manual');
    expect(manual.coalesced).toBe(0);
    expect(await runsOf()).toHaveLength(3);
  });

  it('PB21: records a run as one timeline entry that expands into its steps, each with every state it went through', async () => {
    const incident = await newIncident();
    const { run } = await start(incident, 'retry');
    await finished(run.id);
    await ts.server.playbooks.engine.flush();
    const entries = await ts.server.docs.withDoc(incident, (doc) => readIncident(doc)!.incident.timeline.filter((e) => e.kind === 'automation'));
    const mine = entries.filter((e) => (e.data as { run_id?: string } | null)?.run_id === run.id);
    expect(mine).toHaveLength(1);
    const entry = mine[0]!;
    const runState = entry.data?.['run'] as { state: string; history: { state: string }[] };
    expect(runState.state).toBe('succeeded');
    expect(runState.history.map((h) => h.state)).toEqual(['queued', 'running', 'succeeded']);
    expect(entry.text).toMatch(/run succeeded$/);
    const steps = runSteps(entry);
    expect(steps).toHaveLength(1);
    // Each attempt: running, then re-queued; then it succeeded.
    expect(steps[0]!.history!.map((h) => h.state)).toEqual(['queued', 'running', 'queued', 'running', 'queued', 'running', 'succeeded']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncident, readMeta, readTasks, readTimeline, SERVER_ORIGIN, updateTask } from '../../../shared/incident-doc.ts';
import { newId } from '../../../shared/ids.ts';
import { TEMPLATES } from '../../../shared/templates.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { fakeContext, runAction, type FakeContextOptions } from './fake-context.ts';
import { ACTIONS } from './registry.ts';
import { ActionError } from './types.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.stop());

async function makeIncident(status?: 'triage' | 'containment'): Promise<string> {
  const id = newId();
  await ts.server.docs.withDoc(id, (doc) => createIncident(doc, { title: 'Brute force on admin', createdBy: 'test' }, SERVER_ORIGIN));
  if (status) {
    await run(id, 'incident.set_status', { status: 'triage' });
    if (status === 'containment') await run(id, 'incident.set_status', { status: 'containment' });
  }
  return id;
}
const run = (incidentId: string | null, name: string, raw: unknown, opts: FakeContextOptions = {}) =>
  runAction(
    ACTIONS,
    name,
    raw,
    fakeContext({ incidentId, idempotencyKey: `run:${newId()}:null`, ...opts, services: { docs: ts.server.docs, sql: ts.server.sql, ...opts.services } }),
  );
const read = (id: string) => ts.server.docs.withDoc(id, (doc) => ({ meta: readMeta(doc), timeline: readTimeline(doc), tasks: readTasks(doc) }));
async function failure(p: Promise<unknown>): Promise<ActionError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ActionError);
  return e as ActionError;
}

describe('incident actions', () => {
  it('set_status moves the incident through the workflow, written by the run', async () => {
    const id = await makeIncident('triage');
    expect(await run(id, 'incident.set_status', { status: 'containment', reason: 'account disabled' })).toEqual({
      from: 'triage',
      to: 'containment',
      changed: true,
    });
    const { meta, timeline } = await read(id);
    expect(meta.status).toBe('containment');
    const entry = timeline.find((e) => e.kind === 'status_change' && (e.data as { to?: string }).to === 'containment');
    expect(entry).toMatchObject({ author: 'playbook test (run run-1)', text: 'account disabled' });
  });

  it('set_status refuses a transition the workflow does not allow, naming the allowed ones, and changes nothing', async () => {
    const id = await makeIncident();
    const e = await failure(run(id, 'incident.set_status', { status: 'recovery' }));
    expect(e).toMatchObject({ code: 'failed', retryable: false, message: 'cannot move the incident from new to recovery; allowed: triage, closed' });
    expect((await read(id)).meta.status).toBe('new');
  });

  it('set_status to the current status succeeds without a change (a repeated attempt must not fail)', async () => {
    const id = await makeIncident('containment');
    expect(await run(id, 'incident.set_status', { status: 'containment' })).toEqual({ from: 'containment', to: 'containment', changed: false });
  });

  it('PB17: set_status closes only with a resolution and a one-line summary, written as a closing by hand (issue 20)', async () => {
    const id = await makeIncident('triage');
    const out = await run(id, 'incident.set_status', { status: 'closed', resolution: 'false_positive', closing_summary: 'Scanner of the\nred team' });
    expect(out).toEqual({ from: 'triage', to: 'closed', changed: true, resolution: 'false_positive', closing_summary: 'Scanner of the red team' });
    const { meta, timeline } = await read(id);
    expect(meta).toMatchObject({ status: 'closed', resolution: 'false_positive', closingSummary: 'Scanner of the red team' });
    expect(meta.closedAt).not.toBeNull();
    const entry = timeline.find((e) => e.kind === 'status_change' && (e.data as { to?: string }).to === 'closed');
    expect(entry).toMatchObject({
      author: 'playbook test (run run-1)',
      text: 'Scanner of the red team',
      data: { from: 'triage', to: 'closed', resolution: 'false_positive' },
    });
    // A repeated attempt (after a crash) succeeds without a second entry.
    expect(await run(id, 'incident.set_status', { status: 'closed', resolution: 'false_positive', closing_summary: 'Scanner of the red team' })).toEqual({
      from: 'closed',
      to: 'closed',
      changed: false,
    });
    expect((await read(id)).timeline.filter((e) => e.kind === 'status_change' && (e.data as { to?: string }).to === 'closed')).toHaveLength(1);
  });

  it('PB17: set_status refuses a closing without its resolution or summary, naming the missing field, and changes nothing', async () => {
    const id = await makeIncident('triage');
    const before = await read(id);
    const noResolution = await failure(run(id, 'incident.set_status', { status: 'closed', closing_summary: 'Done' }));
    expect(noResolution).toMatchObject({ code: 'invalid_input', retryable: false, details: { field: 'resolution' } });
    expect(noResolution.message).toBe('resolution: closing needs a resolution: one of true_positive, benign_true_positive, false_positive, duplicate');
    const unknown = await failure(run(id, 'incident.set_status', { status: 'closed', resolution: 'solved', closing_summary: 'Done' }));
    expect(unknown.details).toEqual({ field: 'resolution' });
    const noSummary = await failure(run(id, 'incident.set_status', { status: 'closed', resolution: 'benign_true_positive', closing_summary: '  \n ' }));
    expect(noSummary).toMatchObject({ code: 'invalid_input', details: { field: 'closing_summary' } });
    expect(noSummary.message).toMatch(/^closing_summary: closing needs a one-line summary/);
    expect((await failure(run(id, 'incident.set_status', { status: 'closed', resolution: 'duplicate' }))).details).toEqual({ field: 'closing_summary' });
    // The closing fields come only with a closing (as PATCH refuses them).
    expect((await failure(run(id, 'incident.set_status', { status: 'containment', resolution: 'duplicate' }))).message).toBe(
      'resolution: given only with status: closed',
    );
    expect(await read(id)).toEqual(before);
  });

  it('PB16, PB17: set_status in a dry run says what a closing would write, or what it misses, and writes nothing', async () => {
    const id = await makeIncident('triage');
    const before = await read(id);
    const dry = { dryRun: true };
    expect(await run(id, 'incident.set_status', { status: 'closed', resolution: 'duplicate', closing_summary: 'Same as IR-2026-0001' }, dry)).toEqual({
      dry_run: true,
      would: { from: 'triage', to: 'closed', resolution: 'duplicate', closing_summary: 'Same as IR-2026-0001' },
    });
    expect((await failure(run(id, 'incident.set_status', { status: 'closed' }, dry))).details).toEqual({ field: 'resolution' });
    expect(await read(id)).toEqual(before);
  });

  it('set_fields sets the given fields (snake_case names) and records tracked changes', async () => {
    const id = await makeIncident();
    const out = await run(id, 'incident.set_fields', { severity: 'S1', assignee: 'lead@corp.example', detected_at: '2026-11-22T05:00:00.000Z' });
    expect(out).toEqual({ changed: ['severity', 'assignee', 'detectedAt'] });
    const { meta, timeline } = await read(id);
    expect(meta).toMatchObject({ severity: 'S1', assignee: 'lead@corp.example', detectedAt: '2026-11-22T05:00:00.000Z' });
    expect(timeline.some((e) => e.kind === 'field_change' && (e.data as { field?: string }).field === 'severity')).toBe(true);
    expect(ACTIONS.get('incident.set_fields')?.input.safeParse({ status: 'closed' }).success).toBe(false);
    expect(ACTIONS.get('incident.set_fields')?.input.safeParse({ severity: 'S9' }).error?.issues[0]?.path).toEqual(['severity']);
  });

  it('PB11: add_entry adds an automation entry once per idempotency key', async () => {
    const id = await makeIncident();
    const opts = { idempotencyKey: `run-x:notes:null` };
    const first = (await run(id, 'incident.add_entry', { text: 'Enriched 203.0.113.7: 87% abusive', data: { ip: '203.0.113.7' } }, opts)) as {
      entry_id: string;
      added: boolean;
    };
    const again = (await run(id, 'incident.add_entry', { text: 'Enriched 203.0.113.7: 87% abusive' }, opts)) as { entry_id: string; added: boolean };
    expect(first.added).toBe(true);
    expect(again).toEqual({ entry_id: first.entry_id, added: false });
    const entries = (await read(id)).timeline.filter((e) => e.kind === 'automation');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      id: first.entry_id,
      text: 'Enriched 203.0.113.7: 87% abusive',
      data: { ip: '203.0.113.7', run_id: 'run-1', step_id: 'step-1' },
    });
  });

  it("PB11: add_tasks adds a template's checklist plus extra titles, once per idempotency key", async () => {
    const id = await makeIncident();
    const opts = { idempotencyKey: 'run-y:tasks:null' };
    const out = (await run(id, 'incident.add_tasks', { template: 'ransomware', tasks: ['Call the insurer'] }, opts)) as { added: number };
    expect(out.added).toBe(TEMPLATES.ransomware.tasks.length + 1);
    await run(id, 'incident.add_tasks', { template: 'ransomware', tasks: ['Call the insurer'] }, opts);
    const titles = (await read(id)).tasks.map((t) => t.title);
    expect(titles).toEqual([...TEMPLATES.ransomware.tasks, 'Call the insurer']);
    expect(ACTIONS.get('incident.add_tasks')?.input.safeParse({}).error?.issues[0]?.path).toEqual(['tasks']);
    expect(ACTIONS.get('incident.add_tasks')?.input.safeParse({ template: 'nope' }).error?.issues[0]?.path).toEqual(['template']);
  });

  it("PB8: add_tasks never duplicates a task already there: the template's checklist, then two runs (issue 20)", async () => {
    const res = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Files encrypted on FS01', template: 'ransomware' } });
    const id = ((await res.json()) as { id: string }).id;
    const before = (await read(id)).tasks;
    expect(before.map((t) => t.title)).toEqual(TEMPLATES.ransomware.tasks);
    // Someone deleted one task: a run may bring it back, once.
    const gone = before[0]!;
    await ts.server.docs.withDoc(id, (doc) => updateTask(doc, gone.id, { deleted: true }, SERVER_ORIGIN));
    const first = (await run(
      id,
      'incident.add_tasks',
      { template: 'ransomware', tasks: ['Call the insurer', ' call the  INSURER'] },
      { idempotencyKey: 'run-a:tasks:null' },
    )) as { added: number; task_ids: string[] };
    const second = (await run(id, 'incident.add_tasks', { template: 'ransomware', tasks: ['Call the insurer'] }, { idempotencyKey: 'run-b:tasks:null' })) as {
      added: number;
      task_ids: string[];
    };
    expect(first.added).toBe(2);
    expect(second.added).toBe(0);
    expect(second.task_ids).toEqual(first.task_ids.slice(0, -1));
    const live = (await read(id)).tasks.filter((t) => !t.deleted).map((t) => t.title);
    expect(live.toSorted()).toEqual([...TEMPLATES.ransomware.tasks, 'Call the insurer'].toSorted());
  });

  it('PB16: in a dry run nothing is written', async () => {
    const id = await makeIncident('triage');
    const before = await read(id);
    const dry = { dryRun: true };
    expect(await run(id, 'incident.set_status', { status: 'containment' }, dry)).toEqual({ dry_run: true, would: { from: 'triage', to: 'containment' } });
    await run(id, 'incident.set_fields', { severity: 'S1' }, dry);
    await run(id, 'incident.add_entry', { text: 'x' }, dry);
    await run(id, 'incident.add_tasks', { template: 'phishing' }, dry);
    expect(await read(id)).toEqual(before);
    // ... but an invalid transition is still reported.
    expect((await failure(run(id, 'incident.set_status', { status: 'recovery' }, dry))).message).toMatch(/allowed: containment, post_incident, closed/);
  });

  it('fails clearly without an incident', async () => {
    expect((await failure(run(null, 'incident.add_entry', { text: 'x' }))).message).toBe('this run has no incident');
    const missing = newId();
    expect((await failure(run(missing, 'incident.add_entry', { text: 'x' }))).message).toBe(`incident ${missing} not found`);
  });
});

describe('intel.lookup', () => {
  it('is not_configured until the threat-intel store exists', async () => {
    const e = await failure(run(null, 'intel.lookup', { values: ['203.0.113.7'] }));
    expect(e).toMatchObject({ code: 'not_configured', message: 'threat-intel store not available' });
  });

  it('asks the store when there is one', async () => {
    const intel = { lookup: async (values: string[]) => values.filter((v) => v.startsWith('203.')).map((value) => ({ value, source: 'feed-a' })) };
    expect(await run(null, 'intel.lookup', { values: ['203.0.113.7', 'ok.example'] }, { services: { intel } })).toEqual({
      values: ['203.0.113.7', 'ok.example'],
      matches: [{ value: '203.0.113.7', source: 'feed-a' }],
    });
  });
});

describe('core actions', () => {
  it('noop echoes, wait waits and stops on abort, fail fails with the chosen code', async () => {
    expect(await run(null, 'core.noop', { a: 1 })).toEqual({ a: 1 });
    expect(await run(null, 'core.wait', { ms: 5 })).toEqual({ waited_ms: 5 });
    expect(await failure(run(null, 'core.wait', { ms: 60_000 }, { signal: AbortSignal.timeout(20) }))).toMatchObject({ code: 'timeout' });
    expect(await failure(run(null, 'core.fail', { code: 'network', message: 'flaky' }))).toMatchObject({ code: 'network', message: 'flaky', retryable: true });
    expect(await failure(run(null, 'core.fail', {}))).toMatchObject({ code: 'failed', retryable: false });
  });
});

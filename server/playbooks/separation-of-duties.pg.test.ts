// @vitest-environment node
/**
 * Separation of duties on approval gates, through the API on a real server and Postgres: for a
 * run an event started, the lead who created the incident counts as its starter (403 naming the
 * rule, nothing decided, and the approvals list tells them so the page offers no buttons);
 * someone else decides. An incident opened from an alert (the system created it) excludes
 * nobody, not even the lead who posted the alert; a manual run excludes its starter only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, Run } from '../../shared/playbooks-api.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

const GATE = `
    approval:
      approvers: { roles: [lead], min: 1 }
      message: "Contain {{ incident.title }}?"`;

const PLAYBOOKS: Record<string, string> = {
  'on-created.yaml': `
id: on-created
name: Contain on creation
version: 1
match: { tags: [sod] }
triggers: { manual: false, on: [incident.created] }
steps:
  - id: contain
    action: core.noop${GATE}
`,
  'by-hand.yaml': `
id: by-hand
name: Contain by hand
version: 1
match: { tags: [manual-sod] }
steps:
  - id: contain
    action: core.noop${GATE}
`,
};

let ts: TestServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-sod-'));
  for (const [name, text] of Object.entries(PLAYBOOKS)) await writeFile(join(dir, name), text);
  ts = await startTestServer({ playbooks: { dir, engine: { pollIntervalMs: 50 }, eventsIntervalMs: 50 } });
});

afterAll(async () => {
  await ts?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function createIncident(as: TestIdentity, tags: string[]): Promise<string> {
  const res = await ts.fetch('/api/v1/incidents', { method: 'POST', as, json: { title: `SoD ${tags.join(' ')}`, tags } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The pending approval of the incident's only run, once the run waits for it. */
async function gateOf(incident: string): Promise<{ run: Run; approvalId: string }> {
  return waitFor(
    async () => {
      const runs = ((await (await ts.fetch(`/api/v1/incidents/${incident}/runs`)).json()) as { items: Run[] }).items;
      const run = runs[0];
      const approvalId = run?.state === 'waiting_approval' ? run.steps[0]?.approval_id : null;
      return run && approvalId ? { run, approvalId } : null;
    },
    { message: `a run of ${incident} waiting for approval` },
  );
}

async function seenBy(as: TestIdentity, approvalId: string): Promise<Approval | undefined> {
  const list = (await (await ts.fetch('/api/v1/approvals?status=pending', { as })).json()) as { items: Approval[] };
  return list.items.find((a) => a.id === approvalId);
}

const decide = (as: TestIdentity, approvalId: string, decision = 'approve') =>
  ts.fetch(`/api/v1/approvals/${approvalId}/decide`, { method: 'POST', as, json: { decision, reason: 'checked' } });

describe('PB19: separation of duties on approval gates', () => {
  it('the lead who created the incident cannot decide the gate of the run its creation started; another lead can', async () => {
    const creator = await ts.as('lead');
    const incident = await createIncident(creator, ['sod']);
    const { run, approvalId } = await gateOf(incident);
    expect(run.trigger).toBe('event');
    expect((await seenBy(creator, approvalId))?.caller_excluded).toBe('own_incident');

    for (const decision of ['approve', 'reject']) {
      const refused = await decide(creator, approvalId, decision);
      expect(refused.status).toBe(403);
      const error = ((await refused.json()) as { error: { code: string; message: string; details: unknown } }).error;
      expect(error.code).toBe('forbidden');
      expect(error.message).toBe('separation of duties: you created the incident whose event started this run; someone else must approve it');
      expect(error.details).toEqual({ reason: 'own_incident', rule: 'separation_of_duties' });
    }
    const after = await seenBy(creator, approvalId);
    expect(after?.state).toBe('pending');
    expect(after?.decisions).toEqual([]);

    const other = await ts.as('lead');
    expect((await seenBy(other, approvalId))?.caller_excluded).toBeNull();
    const ok = await decide(other, approvalId);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Approval).state).toBe('approved');
  });

  it('an incident opened from an alert excludes nobody, not even the lead who sent the alert', async () => {
    const sender = await ts.as('lead');
    const res = await ts.fetch('/api/v1/alerts', { method: 'POST', as: sender, json: { source: 'sod', type: 'spray', title: 'SoD alert', severity: 'high' } });
    expect(res.status).toBe(200);
    const incident = ((await res.json()) as { items: { incident_id: string }[] }).items[0]!.incident_id;
    const { approvalId } = await gateOf(incident);
    expect((await seenBy(sender, approvalId))?.caller_excluded).toBeNull();
    expect((await decide(sender, approvalId)).status).toBe(200);
  });

  it('a manual run excludes the lead who started it, not the one who created the incident', async () => {
    const creator = await ts.as('lead');
    const starter = await ts.as('lead');
    const incident = await createIncident(creator, ['manual-sod']);
    const started = await ts.fetch(`/api/v1/incidents/${incident}/execute-workflow`, { method: 'POST', as: starter, json: { playbook_id: 'by-hand' } });
    expect(started.status).toBe(202);
    const { approvalId } = await gateOf(incident);
    expect((await seenBy(starter, approvalId))?.caller_excluded).toBe('own_run');
    const own = await decide(starter, approvalId);
    expect(own.status).toBe(403);
    expect(((await own.json()) as { error: { details: unknown } }).error.details).toEqual({ reason: 'own_run', rule: 'separation_of_duties' });
    expect((await seenBy(creator, approvalId))?.caller_excluded).toBeNull();
    expect((await decide(creator, approvalId)).status).toBe(200);
  });
});

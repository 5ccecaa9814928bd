// @vitest-environment node
/**
 * Honest run outcomes (issue 20): the shipped brute-force playbook on a server where no
 * connector is configured. Its enrichment, firewall and identity steps fail "connector ... not
 * configured" and their on_error handlers run: the run is `completed_with_failures` (never a
 * green `succeeded`), names every failed step with its reason, and a for_each step says why its
 * items failed, not only how many. A gate whose action needs a connector that is not configured
 * warns before anyone decides: on the approval request, on the run, and in the timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIncident } from '../../shared/incident-doc.ts';
import type { Approval, Run, WorkflowsResponse } from '../../shared/playbooks-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { automationTexts } from './testing/run-entries.ts';

let ts: TestServer;

async function incident(account: string, privileged: boolean): Promise<string> {
  const res = await ts.fetch('/api/v1/incidents', {
    method: 'POST',
    json: {
      title: `Brute force against ${account}`,
      category: 'account_compromise',
      severity: 'S2',
      tags: privileged ? ['privileged'] : [],
      observables: [
        { kind: 'account', value: account },
        { kind: 'ip', value: '203.0.113.9' },
      ],
    },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function start(incidentId: string): Promise<Run> {
  const res = await ts.fetch(`/api/v1/incidents/${incidentId}/execute-workflow`, {
    method: 'POST',
    as: await ts.as('analyst'),
    json: { playbook_id: 'brute-force-privileged' },
  });
  expect(res.status).toBe(202);
  return (await res.json()) as Run;
}

const getRun = async (id: string): Promise<Run> => (await (await ts.fetch(`/api/v1/runs/${id}`)).json()) as Run;
const step = (r: Run, id: string): Run['steps'][number] => r.steps.find((s) => s.step_id === id)!;
const waitState = (id: string, states: readonly string[]): Promise<Run> =>
  waitFor(
    async () => {
      const r = await getRun(id);
      return states.includes(r.state) ? r : null;
    },
    { timeoutMs: 15_000, message: `the run to reach ${states.join(' or ')}` },
  );

beforeAll(async () => {
  ts = await startTestServer({ playbooks: { engine: { pollIntervalMs: 50 } } });
});

afterAll(async () => {
  await ts?.stop();
});

describe('a run whose actions failed', () => {
  it('PB15: is completed_with_failures, not succeeded, and names each failed step with its reason', async () => {
    const id = await incident('intern@corp.example', false);
    const r = await start(id);
    const done = await waitState(r.id, ['succeeded', 'completed_with_failures', 'failed', 'cancelled']);
    expect(done.state).toBe('completed_with_failures');
    expect(done.finished_at).not.toBeNull();
    const failed = Object.fromEntries(done.failures.map((f) => [f.step_id, f]));
    expect(Object.keys(failed).sort()).toEqual(['block_ip', 'check_abuseipdb', 'disable_account']);
    expect(failed['block_ip']).toMatchObject({ state: 'failed', code: 'not_configured', handled_by: 'ip_not_blocked', action: 'firewall.block_ip' });
    expect(failed['block_ip']!.message).toBe('1 of 1 items did not succeed: connector "firewall" not configured');
    expect(failed['check_abuseipdb']!.message).toContain('connector "abuseipdb" not configured');
    expect(failed['disable_account']).toMatchObject({ code: 'not_configured', handled_by: 'account_not_disabled' });
    expect(failed['disable_account']!.message).toContain('connector "identity" not configured');
    // The handlers ran, and nothing was contained.
    expect(step(done, 'ip_not_blocked').state).toBe('succeeded');
    expect(step(done, 'account_not_disabled').state).toBe('succeeded');
    expect(step(done, 'contain').state).toBe('skipped');
    expect(done.error).toContain('block_ip failed (1 of 1 items did not succeed: connector "firewall" not configured; handled by ip_not_blocked)');

    // The incident's runs list says the same, and so does the timeline.
    const list = (await (await ts.fetch(`/api/v1/incidents/${id}/runs`)).json()) as { items: Run[] };
    expect(list.items[0]).toMatchObject({ id: r.id, state: 'completed_with_failures' });
    expect(list.items[0]!.failures).toHaveLength(3);
    await ts.server.playbooks.engine.flush();
    const texts = await ts.server.docs.withDoc(id, (doc) => automationTexts(readIncident(doc)!.incident.timeline));
    expect(texts.some((t) => t.includes('run completed with failures:') && t.includes('connector "identity" not configured'))).toBe(true);
    expect(texts.some((t) => /: run succeeded$/.test(t))).toBe(false);
    const [audited] = await ts.server.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_log WHERE action = 'playbook.run.completed_with_failures' AND target_id = ${r.id}`;
    expect(audited!.n).toBe(1);
  });
});

describe('a gate whose connector is not configured', () => {
  it('PB20: warns on the approval request, on the run and in the timeline before anyone decides, and stops warning once configured', async () => {
    const id = await incident('ceo@corp.example', true);
    // Before the run starts, the playbook list says which steps cannot act (the Run confirmation shows it).
    const listed = (await (await ts.fetch(`/api/v1/workflows?incident_id=${id}`)).json()) as WorkflowsResponse;
    const steps = listed.items.find((w) => w.id === 'brute-force-privileged')!.steps;
    expect(steps.find((s) => s.id === 'disable_account')!.warning).toMatchObject({ code: 'connector_not_configured', connector: 'identity' });
    expect(steps.find((s) => s.id === 'announce')!.warning).toBeNull();
    const r = await start(id);
    // Every other branch is done: the run says it waits for a person (not "running").
    const waiting = await waitFor(
      async () => {
        const now = await getRun(r.id);
        return now.state === 'waiting_approval' && now.steps.every((s) => !['queued', 'running'].includes(s.state)) ? now : null;
      },
      { timeoutMs: 15_000, message: 'the run to wait for approval' },
    );
    expect(step(waiting, 'disable_account').state).toBe('waiting_approval');
    expect(waiting.warnings).toEqual([
      {
        step_id: 'disable_account',
        code: 'connector_not_configured',
        connector: 'identity',
        message: expect.stringContaining('connector "identity" is not configured'),
      },
    ]);

    const lead = await ts.as('lead');
    const approvals = (await (await ts.fetch('/api/v1/approvals', { as: lead })).json()) as { items: Approval[] };
    const approval = approvals.items.find((a) => a.run_id === r.id)!;
    // It names what will be done, and says plainly that it cannot be done.
    expect(approval).toMatchObject({
      step_id: 'disable_account',
      step_name: 'Disable the attacked account',
      action: 'identity.disable_account',
      connector: 'identity',
    });
    expect(approval.action_description).not.toBe('');
    expect(approval.warnings).toHaveLength(1);
    expect(approval.warnings[0]!.message).toContain('connector "identity" is not configured');

    await ts.server.playbooks.engine.flush();
    const texts = await ts.server.docs.withDoc(id, (doc) => automationTexts(readIncident(doc)!.incident.timeline));
    expect(texts.some((t) => t.includes('step disable_account waiting for approval') && t.includes('warning: connector "identity" is not configured'))).toBe(
      true,
    );

    // An admin configures the connector: the request no longer warns.
    const put = await ts.fetch('/api/v1/connectors/identity', {
      method: 'PUT',
      json: { endpoint: 'http://127.0.0.1:9/', settings: {}, secrets: { api_key: 'k' } },
    });
    expect(put.status).toBe(200);
    const after = (await (await ts.fetch('/api/v1/approvals', { as: lead })).json()) as { items: Approval[] };
    expect(after.items.find((a) => a.run_id === r.id)!.warnings).toEqual([]);
    expect((await getRun(r.id)).warnings).toEqual([]);
    await ts.fetch(`/api/v1/runs/${r.id}/cancel`, { method: 'POST', json: { reason: 'test done' } });
  });
});

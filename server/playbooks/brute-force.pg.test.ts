// @vitest-environment node
/**
 * The shipped brute-force playbook (playbooks/brute-force-privileged.yaml) end to end against
 * the fake security tools: on a privileged account the run waits for a lead's approval, the
 * account-disable call reaches the identity provider once and the incident moves to
 * containment; a non-privileged account is disabled with no gate; a rejection stops that
 * branch with the reason; the starter cannot approve their own run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIncident } from '../../shared/incident-doc.ts';
import type { Run } from '../../shared/playbooks-api.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { automationTexts } from './testing/run-entries.ts';
import { startFakeTools, type FakeTools } from './testing/fake-tools.ts';

let ts: TestServer;
let tools: FakeTools;

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

async function run(incidentId: string, as: TestIdentity): Promise<Run> {
  const res = await ts.fetch(`/api/v1/incidents/${incidentId}/execute-workflow`, { method: 'POST', as, json: { playbook_id: 'brute-force-privileged' } });
  expect(res.status).toBe(202);
  return (await res.json()) as Run;
}

const getRun = async (id: string): Promise<Run> => (await (await ts.fetch(`/api/v1/runs/${id}`)).json()) as Run;
const step = (r: Run, id: string): Run['steps'][number] => r.steps.find((s) => s.step_id === id)!;
const finished = (id: string): Promise<Run> =>
  waitFor(
    async () => {
      const r = await getRun(id);
      return ['succeeded', 'completed_with_failures', 'failed', 'cancelled'].includes(r.state) ? r : null;
    },
    { timeoutMs: 15_000, message: 'the run to finish' },
  );
const status = (id: string): Promise<string> => ts.server.docs.withDoc(id, (doc) => readIncident(doc)!.incident.meta.status);
const disableCalls = (account: string) => tools.callsTo(`/users/${encodeURIComponent(account)}`, 'PATCH');

beforeAll(async () => {
  tools = await startFakeTools();
  ts = await startTestServer({ playbooks: { engine: { pollIntervalMs: 50 } } });
  for (const name of ['firewall', 'identity', 'abuseipdb']) {
    const res = await ts.fetch(`/api/v1/connectors/${name}`, {
      method: 'PUT',
      json: { endpoint: tools.url, settings: {}, secrets: { api_key: `key-${name}` } },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
});

afterAll(async () => {
  await ts?.stop();
  await tools?.close();
});

describe('brute force on an account', () => {
  it('a privileged account waits for a lead; once approved it is disabled once and the incident is contained', async () => {
    const id = await incident('ceo@corp.example', true);
    const analyst = await ts.as('analyst');
    const r = await run(id, analyst);
    const waiting = await waitFor(
      async () => {
        const now = await getRun(r.id);
        return now.state === 'waiting_approval' ? now : null;
      },
      { timeoutMs: 15_000, message: 'waiting for approval' },
    );
    expect(step(waiting, 'disable_account').state).toBe('waiting_approval');
    expect(step(waiting, 'block_ip').state).toBe('succeeded');
    expect(disableCalls('ceo@corp.example')).toHaveLength(0);

    const approvalId = step(waiting, 'disable_account').approval_id!;
    const decide = (as: TestIdentity, decision: string, reason: string) =>
      ts.fetch(`/api/v1/approvals/${approvalId}/decide`, { method: 'POST', as, json: { decision, reason } });
    // The analyst started the run: no approval right anyway; a lead who started it is refused too (see engine.pg.test.ts).
    expect((await decide(analyst, 'approve', 'mine')).status).toBe(403);
    const lead = await ts.as('lead');
    expect((await decide(lead, 'approve', 'confirmed with the CEO by phone')).status).toBe(200);

    const done = await finished(r.id);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'disable_account').state).toBe('succeeded');
    expect(step(done, 'contain').state).toBe('succeeded');
    const calls = disableCalls('ceo@corp.example');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ accountEnabled: false });
    expect(calls[0]!.headers['idempotency-key']).toBe(`${r.id}:disable_account:0`);
    await waitFor(async () => (await status(id)) === 'containment', { message: 'containment' });
    await ts.server.playbooks.engine.flush();
    const texts = await ts.server.docs.withDoc(id, (doc) => automationTexts(readIncident(doc)!.incident.timeline));
    expect(texts).toContain('Playbook Brute force on a privileged account: step disable_account waiting for approval (lead or admin, 1 approver)');
    expect(texts.some((t) => t.startsWith('Playbook Brute force on a privileged account: step disable_account approved by'))).toBe(true);
    expect(texts.join('\n')).not.toContain('key-identity');
  });

  it('a non-privileged account is disabled with no gate', async () => {
    const id = await incident('intern@corp.example', false);
    const r = await run(id, await ts.as('analyst'));
    const done = await finished(r.id);
    expect(done.state).toBe('succeeded');
    expect(step(done, 'disable_account').approval_id).toBeNull();
    expect(disableCalls('intern@corp.example')).toHaveLength(1);
    expect(await status(id)).toBe('containment');
  });

  it('PB19: a rejection stops the disable branch and records why', async () => {
    const id = await incident('cfo@corp.example', true);
    const r = await run(id, await ts.as('analyst'));
    const waiting = await waitFor(
      async () => {
        const now = await getRun(r.id);
        return now.state === 'waiting_approval' ? now : null;
      },
      { timeoutMs: 15_000 },
    );
    const res = await ts.fetch(`/api/v1/approvals/${step(waiting, 'disable_account').approval_id}/decide`, {
      method: 'POST',
      as: await ts.as('lead'),
      json: { decision: 'reject', reason: 'the CFO is travelling and confirmed the logins' },
    });
    expect(res.status).toBe(200);
    // The decision and its audit entry commit together: it is there as soon as the answer is.
    const audited = await ts.server.sql<
      { actor_name: string }[]
    >`SELECT actor_name FROM audit_log WHERE action = 'playbook.step.rejected' AND target_id = ${r.id}`;
    expect(audited).toHaveLength(1);
    const done = await finished(r.id);
    expect(step(done, 'disable_account').state).toBe('rejected');
    expect(step(done, 'disable_account').error?.message).toBe('the CFO is travelling and confirmed the logins');
    expect(step(done, 'contain').state).toBe('skipped');
    expect(disableCalls('cfo@corp.example')).toHaveLength(0);
    expect(await status(id)).not.toBe('containment');
  });

  it('PB19: the starter cannot approve their own run', async () => {
    const id = await incident('cto@corp.example', true);
    const lead = await ts.as('lead');
    const r = await run(id, lead);
    const waiting = await waitFor(
      async () => {
        const now = await getRun(r.id);
        return now.state === 'waiting_approval' ? now : null;
      },
      { timeoutMs: 15_000 },
    );
    const res = await ts.fetch(`/api/v1/approvals/${step(waiting, 'disable_account').approval_id}/decide`, {
      method: 'POST',
      as: lead,
      json: { decision: 'approve', reason: 'me' },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('you started this run; someone else must approve it');
    expect(step(await getRun(r.id), 'disable_account').state).toBe('waiting_approval');
  });
  it('PB5, PB7: refuses to start the playbook on an incident it does not apply to, naming why; a repeated request still answers its run', async () => {
    const phishing = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Invoice lure', category: 'phishing', severity: 'S2' } });
    const phishingId = ((await phishing.json()) as { id: string }).id;
    const refused = await ts.fetch(`/api/v1/incidents/${phishingId}/execute-workflow`, { method: 'POST', json: { playbook_id: 'brute-force-privileged' } });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'playbook "brute-force-privileged" does not apply to this incident: its category is phishing; the playbook applies to account_compromise',
    );
    expect((await (await ts.fetch(`/api/v1/incidents/${phishingId}/runs`)).json()) as { items: unknown[] }).toEqual({ items: [] });

    // Started while it applied; the same key after the incident changed answers that run.
    const id = await incident('ops@corp.example', false);
    const key = { 'idempotency-key': `bf-${Date.now()}` };
    const first = await ts.fetch(`/api/v1/incidents/${id}/execute-workflow`, { method: 'POST', headers: key, json: { playbook_id: 'brute-force-privileged' } });
    expect(first.status).toBe(202);
    expect((await ts.fetch(`/api/v1/incidents/${id}`, { method: 'PATCH', json: { category: 'insider' } })).status).toBe(200);
    const again = await ts.fetch(`/api/v1/incidents/${id}/execute-workflow`, { method: 'POST', headers: key, json: { playbook_id: 'brute-force-privileged' } });
    expect(again.status).toBe(200);
    const runId = ((await first.json()) as Run).id;
    expect(((await again.json()) as Run).id).toBe(runId);
    const fresh = await ts.fetch(`/api/v1/incidents/${id}/execute-workflow`, { method: 'POST', json: { playbook_id: 'brute-force-privileged' } });
    expect(fresh.status).toBe(422);
    await finished(runId);
  });
});

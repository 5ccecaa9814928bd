// @vitest-environment node
/**
 * Inbound webhooks (POST /api/v1/hooks/{playbook id}): a request signed with the playbook's
 * secret starts a run with the body as its trigger; a bad signature, a timestamp outside the
 * window and a replay are refused and start nothing; the secret is shown once and never again.
 * Refusals anyone can provoke are counted and audited once per playbook per minute, and an address
 * refused too often is answered 429 until the minute ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../shared/playbooks-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { signHook } from './hooks.ts';

const PLAYBOOK = `
id: hooked
name: Hooked
version: 1
triggers: { manual: false, webhook: true }
steps:
  - { id: echo, action: core.noop, with: { source: "{{ trigger.body.source }}", kind: "{{ trigger.kind }}" } }
`;

const STRICT = `
id: hooked-strict
name: Hooked, S1 only
version: 1
match: { severity_at_least: S1 }
triggers: { manual: false, webhook: true }
steps:
  - { id: echo, action: core.noop }
`;

let ts: TestServer;
let dir: string;
let secret: string;
let incidentId: string;

function post(body: string, opts: { ts?: number; signature?: string; playbook?: string; secret?: string } = {}): Promise<Response> {
  const stamp = opts.ts ?? Math.floor(Date.now() / 1000);
  return fetch(`${ts.server.url}/api/v1/hooks/${opts.playbook ?? 'hooked'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-sentpilot-timestamp': String(stamp),
      'x-sentpilot-signature': opts.signature ?? signHook(opts.secret ?? secret, stamp, body),
    },
    body,
  });
}

const runCount = async (): Promise<number> => (await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM playbook_runs`)[0]!.n;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-hook-'));
  await writeFile(join(dir, 'hooked.yaml'), PLAYBOOK);
  await writeFile(join(dir, 'hooked-strict.yaml'), STRICT);
  await writeFile(join(dir, 'hooked-busy.yaml'), PLAYBOOK.replace('id: hooked', 'id: hooked-busy'));
  await writeFile(join(dir, 'hooked-flood.yaml'), PLAYBOOK.replace('id: hooked', 'id: hooked-flood'));
  await writeFile(join(dir, 'hooked-text.yaml'), PLAYBOOK.replace('id: hooked', 'id: hooked-text'));
  // Behind a trusted proxy, so a test can speak from several addresses (X-Forwarded-For).
  ts = await startTestServer({ playbooks: { dir, engine: { pollIntervalMs: 50 }, webhookMaxPerMinute: 3 }, auth: { trustProxy: true } });
  const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Hooked incident' } });
  incidentId = ((await created.json()) as { id: string }).id;
  const lead = await ts.as('lead');
  expect((await ts.fetch('/api/v1/workflows/hooked/webhook-secret', { method: 'POST', as: lead })).status).toBe(403);
  const res = await ts.fetch('/api/v1/workflows/hooked/webhook-secret', { method: 'POST' });
  expect(res.status).toBe(200);
  secret = ((await res.json()) as { secret: string }).secret;
});

afterAll(async () => {
  await ts?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('inbound webhook', () => {
  it('a good signature starts a run with the body as its trigger', async () => {
    const res = await post(JSON.stringify({ incident_id: incidentId, source: 'siem-42' }));
    expect(res.status).toBe(202);
    const run = (await res.json()) as Run;
    expect(run.trigger).toBe('webhook');
    expect(run.incident_id).toBe(incidentId);
    const done = await waitFor(async () => {
      const r = (await (await ts.fetch(`/api/v1/runs/${run.id}`)).json()) as Run;
      return r.state === 'succeeded' ? r : null;
    });
    expect(done.steps[0]!.output).toEqual({ source: 'siem-42', kind: 'webhook' });
    const list = (await (await ts.fetch('/api/v1/workflows')).json()) as { items: { id: string; webhook_secret_set: boolean }[] };
    expect(list.items.find((i) => i.id === 'hooked')!.webhook_secret_set).toBe(true);
    expect(JSON.stringify(list)).not.toContain(secret);
  });

  it('PB9: refuses a bad signature, an old or future timestamp, and a replay; none starts a run', async () => {
    const before = await runCount();
    const body = JSON.stringify({ source: 'x' });
    const bad = await post(body, { signature: signHook('not-the-secret', Math.floor(Date.now() / 1000), body) });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('bad signature');
    const old = Math.floor(Date.now() / 1000) - 600;
    expect((await post(body, { ts: old })).status).toBe(401);
    expect((await post(body, { ts: Math.floor(Date.now() / 1000) + 600 })).status).toBe(401);
    // A body changed after signing.
    const stamp = Math.floor(Date.now() / 1000);
    expect((await post(JSON.stringify({ source: 'y' }), { ts: stamp, signature: signHook(secret, stamp, body) })).status).toBe(401);
    expect(await runCount()).toBe(before);

    const once = JSON.stringify({ source: 'once' });
    const first = await post(once, { ts: stamp });
    expect(first.status).toBe(202);
    const replay = await post(once, { ts: stamp });
    expect(replay.status).toBe(409);
    expect(await runCount()).toBe(before + 1);
    // Counted, and audited once the minute is flushed.
    const [counted] = await ts.server.sql<{ n: number }[]>`SELECT coalesce(sum(count), 0)::int AS n FROM webhook_refusals WHERE playbook_id = 'hooked'`;
    expect(counted?.n).toBe(5);
    await ts.server.playbooks.hookRefusals.flush({ all: true });
    const refusals = await ts.server.sql`SELECT 1 FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked'`;
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(2);
  });
  it('PB5: refuses, audited, a run on an incident the playbook does not apply to, naming why', async () => {
    const res = await ts.fetch('/api/v1/workflows/hooked-strict/webhook-secret', { method: 'POST' });
    const strictSecret = ((await res.json()) as { secret: string }).secret;
    const before = await runCount();
    const refused = await post(JSON.stringify({ incident_id: incidentId }), { playbook: 'hooked-strict', secret: strictSecret });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      `playbook "hooked-strict" does not apply to incident ${incidentId}: its severity is S3; the playbook needs S1 or more severe`,
    );
    expect(await runCount()).toBe(before);
    const [audited] = await ts.server.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked-strict'`;
    expect(audited?.n).toBe(1);
    // Without an incident there is nothing to match: it runs.
    expect((await post(JSON.stringify({ source: 'no incident' }), { playbook: 'hooked-strict', secret: strictSecret })).status).toBe(202);
  });
  it('refuses, audited, a body holding a lone surrogate, naming the field, and starts nothing', async () => {
    const res = await ts.fetch('/api/v1/workflows/hooked-text/webhook-secret', { method: 'POST' });
    const textSecret = ((await res.json()) as { secret: string }).secret;
    const before = await runCount();
    const refused = await post('{"source": "siem\\ud800"}', { playbook: 'hooked-text', secret: textSecret });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^body field "source": contains a lone UTF-16 surrogate/);
    expect(await runCount()).toBe(before);
    const [audited] = await ts.server.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked-text'`;
    expect(audited?.n).toBe(1);
  });

  it('PB9: accepts so many deliveries per playbook per minute, then answers 429 with Retry-After, audited, starting nothing', async () => {
    const res = await ts.fetch('/api/v1/workflows/hooked-busy/webhook-secret', { method: 'POST' });
    const busySecret = ((await res.json()) as { secret: string }).secret;
    for (let i = 0; i < 3; i++) expect((await post(JSON.stringify({ source: `loop ${i}` }), { playbook: 'hooked-busy', secret: busySecret })).status).toBe(202);
    const before = await runCount();
    const limited = await post(JSON.stringify({ source: 'loop 3' }), { playbook: 'hooked-busy', secret: busySecret });
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toBe(
      `playbook "hooked-busy" already accepted 3 deliveries in the last minute (PLAYBOOK_WEBHOOK_MAX_PER_MINUTE); retry in ${wait} s`,
    );
    expect(await runCount()).toBe(before);
    await ts.server.playbooks.hookRefusals.flush({ all: true });
    const [audited] = await ts.server.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked-busy'`;
    expect(audited?.n).toBe(1);
    // Another playbook's webhook is not held back by this one.
    expect((await post(JSON.stringify({ source: 'other' }))).status).toBe(202);
  });

  it('PB9: counts 200 bad-signature deliveries into a bounded number of audit entries; after 10 the address gets 429, others do not', async () => {
    const res = await ts.fetch('/api/v1/workflows/hooked-flood/webhook-secret', { method: 'POST' });
    const floodSecret = ((await res.json()) as { secret: string }).secret;
    const auditedBefore = await ts.server.sql`SELECT 1 FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked-flood'`;
    expect(auditedBefore).toHaveLength(0);
    const from = (address: string, body: string, signature: string): Promise<Response> =>
      fetch(`${ts.server.url}/api/v1/hooks/hooked-flood`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': address,
          'x-sentpilot-timestamp': String(Math.floor(Date.now() / 1000)),
          'x-sentpilot-signature': signature,
        },
        body,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => from('198.51.100.9', JSON.stringify({ n: i + j }), `sha256=${'0'.repeat(64)}`)));
      statuses.push(...batch.map((r) => r.status));
    }
    const unauthenticated = statuses.filter((s) => s === 401).length;
    expect(unauthenticated).toBeGreaterThanOrEqual(10);
    expect(unauthenticated).toBeLessThan(30);
    expect(statuses.filter((s) => s === 429).length).toBe(200 - unauthenticated);
    expect(statuses.slice(-50).every((s) => s === 429)).toBe(true);
    const held = await from('198.51.100.9', '{}', `sha256=${'0'.repeat(64)}`);
    expect(held.status).toBe(429);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(held.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another sender is judged on its own: a bad signature is 401, a good one runs.
    expect((await from('198.51.100.10', '{}', `sha256=${'0'.repeat(64)}`)).status).toBe(401);
    const stamp = Math.floor(Date.now() / 1000);
    const good = JSON.stringify({ source: 'legit' });
    const accepted = await fetch(`${ts.server.url}/api/v1/hooks/hooked-flood`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': '198.51.100.10',
        'x-sentpilot-timestamp': String(stamp),
        'x-sentpilot-signature': signHook(floodSecret, stamp, good),
      },
      body: good,
    });
    expect(accepted.status).toBe(202);

    await ts.server.playbooks.hookRefusals.flush({ all: true });
    const entries = await ts.server.sql`SELECT 1 FROM audit_log WHERE action = 'playbook.webhook.refused' AND target_id = 'hooked-flood'`;
    // One per minute the flood spanned (two if it crossed a minute boundary), not one per request.
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.length).toBeLessThanOrEqual(2);
    const [counted] = await ts.server.sql<{ n: number; audited: number }[]>`
      SELECT sum(count)::int AS n, sum(audited)::int AS audited FROM webhook_refusals WHERE playbook_id = 'hooked-flood'`;
    expect(counted).toEqual({ n: 202, audited: 202 });
  });
});

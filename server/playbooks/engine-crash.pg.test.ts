// @vitest-environment node
/**
 * kill -9 mid-run: the server runs as its own process (server/main.ts through tsx); it is killed
 * while a step is running; a new process on the same database takes the lost attempt over (the
 * sweeper re-queues it once it is past its deadline) and finishes the run. The fake firewall
 * counts calls per Idempotency-Key: the step that acted before the kill never acts again, and
 * the one after it acts once. A server stopped gracefully hands its running step straight back
 * to the queue instead of failing it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../shared/playbooks-api.ts';
import { freePort } from '../db/embedded.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { startFakeTools, type FakeTools } from './testing/fake-tools.ts';

const root = new URL('../..', import.meta.url).pathname;

const PLAYBOOK = `
id: crashy
name: Crashy
version: 1
steps:
  - { id: block, action: firewall.block_ip, with: { ip: 198.51.100.7, duration: 1h, comment: first } }
  - { id: wait, action: core.wait, needs: [block], with: { ms: 2500 }, timeout: 3s }
  - { id: block_again, action: firewall.block_ip, needs: [wait], with: { ip: 198.51.100.8, duration: 1h, comment: after } }
`;

interface ServerProcess {
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
}

let db: TestDatabase;
let tools: FakeTools;
let dir: string;
const processes: ServerProcess[] = [];
const env: Record<string, string> = {};

async function spawnServer(): Promise<ServerProcess> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      STATIC_DIR: join(root, 'no-such-dist'),
      PROJECTOR_DEBOUNCE_MS: '20',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 50, message: 'server start' },
  );
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status}`);
  const p = { url, headers: { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '', 'content-type': 'application/json' }, child };
  processes.push(p);
  return p;
}

function kill9(p: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

const getRun = async (p: ServerProcess, id: string): Promise<Run> => (await (await fetch(`${p.url}/api/v1/runs/${id}`, { headers: p.headers })).json()) as Run;
const step = (r: Run, id: string): Run['steps'][number] => r.steps.find((s) => s.step_id === id)!;

beforeAll(async () => {
  db = await createTestDatabase();
  tools = await startFakeTools();
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-crash-pb-'));
  await writeFile(join(dir, 'crashy.yaml'), PLAYBOOK);
  Object.assign(env, {
    DATABASE_URL: db.url,
    DATA_DIR: dir,
    PLAYBOOKS_DIR: dir,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLAYBOOK_SWEEP_GRACE_MS: '200',
    PLAYBOOK_SWEEP_INTERVAL_MS: '200',
    ADMIN_EMAIL: 'admin@crash.test',
    ADMIN_PASSWORD: 'crash test password',
  });
});

afterAll(async () => {
  for (const p of processes) await kill9(p);
  await tools?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a server killed mid-run', () => {
  it('PB11, PB12: another process finishes the run and no step acts twice', async () => {
    const first = await spawnServer();
    const put = await fetch(`${first.url}/api/v1/connectors/firewall`, {
      method: 'PUT',
      headers: first.headers,
      body: JSON.stringify({ endpoint: tools.url, secrets: { api_key: 'fw-key' } }),
    });
    expect(put.status).toBe(200);
    const created = await fetch(`${first.url}/api/v1/incidents`, { method: 'POST', headers: first.headers, body: JSON.stringify({ title: 'Crash mid-run' }) });
    const incident = ((await created.json()) as { id: string }).id;
    const started = await fetch(`${first.url}/api/v1/incidents/${incident}/execute-workflow`, {
      method: 'POST',
      headers: first.headers,
      body: JSON.stringify({ playbook_id: 'crashy' }),
    });
    expect(started.status).toBe(202);
    const runId = ((await started.json()) as Run).id;
    await waitFor(async () => step(await getRun(first, runId), 'wait').state === 'running', { timeoutMs: 10_000, message: 'the wait step to run' });
    expect(tools.callsTo('/block', 'POST')).toHaveLength(1);
    await kill9(first);

    const second = await spawnServer();
    const done = await waitFor(
      async () => {
        const r = await getRun(second, runId);
        return ['succeeded', 'completed_with_failures', 'failed', 'cancelled'].includes(r.state) ? r : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the run to finish in the new process' },
    );
    expect(done.state).toBe('succeeded');
    expect(step(done, 'block').attempt).toBe(1);
    expect(step(done, 'wait').attempt).toBe(2);
    expect(step(done, 'block_again').state).toBe('succeeded');
    const counts = tools.idempotencyCounts();
    expect(Object.fromEntries(counts)).toEqual({ [`${runId}:block:-1`]: 1, [`${runId}:block_again:-1`]: 1 });
    const timeline = (await (await fetch(`${second.url}/api/v1/incidents/${incident}/timeline`, { headers: second.headers })).json()) as {
      items?: { text: string }[];
    };
    expect(JSON.stringify(timeline)).toContain('step wait re-queued: attempt 1 was lost (its server stopped)');
    // Two server processes start here (each waited for up to 30 s): on a loaded machine that alone
    // outlasts vitest's default 30 s.
  }, 120_000);
});

describe('a server stopped gracefully mid-step', () => {
  it('PB12: hands the running step back to the queue, and the next server finishes it', async () => {
    const graceful = await createTestDatabase();
    const pbDir = await mkdtemp(join(tmpdir(), 'sentpilot-graceful-pb-'));
    await writeFile(
      join(pbDir, 'sleepy.yaml'),
      'id: sleepy\nname: Sleepy\nversion: 1\nsteps:\n  - { id: nap, action: core.wait, with: { ms: 1500 }, timeout: 1m }\n',
    );
    try {
      const a = await startTestServer({ db: graceful, playbooks: { dir: pbDir, engine: { pollIntervalMs: 50 } } });
      const created = await a.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Graceful' } });
      const incident = ((await created.json()) as { id: string }).id;
      const run = (await (await a.fetch(`/api/v1/incidents/${incident}/execute-workflow`, { method: 'POST', json: { playbook_id: 'sleepy' } })).json()) as Run;
      await waitFor(async () => ((await (await a.fetch(`/api/v1/runs/${run.id}`)).json()) as Run).steps[0]!.state === 'running');
      const t0 = Date.now();
      await a.stop();
      expect(Date.now() - t0).toBeLessThan(5_000);
      const [row] = await graceful.sql<{ state: string; attempt: number }[]>`SELECT state, attempt FROM playbook_step_runs WHERE run_id = ${run.id}`;
      expect(row).toEqual({ state: 'queued', attempt: 1 });

      const b = await startTestServer({ db: graceful, playbooks: { dir: pbDir, engine: { pollIntervalMs: 50 } } });
      try {
        const done = await waitFor(
          async () => {
            const r = (await (await b.fetch(`/api/v1/runs/${run.id}`)).json()) as Run;
            return r.state === 'succeeded' ? r : null;
          },
          { timeoutMs: 10_000 },
        );
        expect(done.steps[0]!.attempt).toBe(2);
      } finally {
        await b.stop();
      }
    } finally {
      await graceful.drop();
      await rm(pbDir, { recursive: true, force: true });
    }
  });
});

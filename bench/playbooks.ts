/**
 * The playbook engine's step pickup latency (enqueue → start, from the step rows' own
 * timestamps) and throughput of `core.noop` steps, with graphile-worker's own figures for bare
 * jobs on this machine in the same run as the reference. In-process: a real server (engine,
 * recorder, audit, documents) on a fresh database; runs are on incidents, so every step state
 * is also written to a timeline and audited.
 *
 * - idle pickup: one single-step run at a time (the queue is empty, new jobs arrive by LISTEN);
 * - throughput: RUNS runs of a FANOUT-step playbook started at once; steps/s = steps / (last
 *   step finished − first step queued); pickup under that load too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWorkerUtils, run as runWorker, Logger as WorkerLogger } from 'graphile-worker';
import { createIncident, SERVER_ORIGIN } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { connect } from '../server/db/connect.ts';
import { createLogger } from '../server/logger.ts';
import { startServer } from '../server/server.ts';
import { fmt, percentile } from './server-process.ts';

const IDLE_RUNS = 200;
const FANOUT = 50;
const RUNS = 60;
const INCIDENTS = 20;
const CONCURRENCY = 16;
const BARE_JOBS = 5_000;

const quiet = new WorkerLogger(() => () => {});

function stats(ms: number[]): { p50: string; p95: string } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: fmt(percentile(s, 50)), p95: fmt(percentile(s, 95)) };
}

/** graphile-worker alone: a task that notes when it starts; jobs carry their enqueue time. */
async function bareWorker(url: string): Promise<{ idle: number[]; loaded: number[]; perSecond: number }> {
  const started = new Map<string, number>();
  let done = 0;
  let allDone: () => void = () => {};
  const runner = await runWorker({
    connectionString: url,
    concurrency: CONCURRENCY,
    maxPoolSize: CONCURRENCY + 2,
    noHandleSignals: true,
    pollInterval: 1_000,
    logger: quiet,
    taskList: {
      bench_noop: async (payload) => {
        const p = payload as { id: string; at: number };
        started.set(p.id, performance.timeOrigin + performance.now() - p.at);
        if (++done === BARE_JOBS) allDone();
      },
    },
  });
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  try {
    const idle: number[] = [];
    for (let i = 0; i < IDLE_RUNS; i++) {
      const id = `idle-${i}`;
      await utils.addJob('bench_noop', { id, at: performance.timeOrigin + performance.now() });
      while (!started.has(id)) await new Promise((r) => setTimeout(r, 1));
      idle.push(started.get(id)!);
    }
    started.clear();
    done = 0;
    const finished = new Promise<void>((r) => (allDone = r));
    const t0 = performance.now();
    const at = performance.timeOrigin + t0;
    await utils.addJobs(Array.from({ length: BARE_JOBS }, (_, i) => ({ identifier: 'bench_noop', payload: { id: `load-${i}`, at } })));
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    return { idle, loaded: [...started.values()], perSecond: BARE_JOBS / seconds };
  } finally {
    await utils.release();
    await runner.stop();
  }
}

const SINGLE = `id: bench-single\nname: Bench single\nversion: 1\nsteps:\n  - { id: only, action: core.noop }\n`;
const FAN = `id: bench-fanout\nname: Bench fan-out\nversion: 1\nsteps:\n${Array.from({ length: FANOUT }, (_, i) => `  - { id: s${i}, action: core.noop, with: { n: ${i} } }`).join('\n')}\n`;

export async function benchPlaybooks(url: string): Promise<Record<string, string>> {
  const bare = await bareWorker(url);
  const dir = await mkdtemp(join(tmpdir(), 'sentpilot-bench-pb-'));
  await writeFile(join(dir, 'single.yaml'), SINGLE);
  await writeFile(join(dir, 'fanout.yaml'), FAN);
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: url,
    logger: createLogger({ level: 'silent' }),
    bootstrapAdmin: { email: 'bench@localhost', password: 'bench admin password' },
    playbooks: { dir, engine: { concurrency: CONCURRENCY } },
  });
  const sql = connect(url, { max: 4 });
  try {
    const { engine } = server.playbooks;
    const byId = new Map(server.playbooks.catalog().playbooks.map((p) => [p.def.id, p.def]));
    const incidents: string[] = [];
    for (let i = 0; i < INCIDENTS; i++) {
      const id = newId();
      await server.docs.withDoc(id, (doc) => createIncident(doc, { title: `Bench incident ${i}`, createdBy: 'bench' }, SERVER_ORIGIN));
      incidents.push(id);
    }
    await server.projector.flush();
    const startedBy = { name: 'bench', key: 'user:bench' };
    const waitAll = async (ids: string[]): Promise<void> => {
      for (;;) {
        const [{ n }] = (await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM playbook_runs WHERE id = ANY(${ids}::uuid[]) AND state IN ('succeeded', 'failed', 'cancelled')`) as unknown as [
          { n: number },
        ];
        if (n === ids.length) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const idleIds: string[] = [];
    for (let i = 0; i < IDLE_RUNS; i++) {
      const r = await engine.startRun({
        playbook: byId.get('bench-single')!,
        incidentId: incidents[i % INCIDENTS]!,
        dryRun: false,
        trigger: 'manual',
        startedBy,
      });
      await waitAll([r.runId]);
      idleIds.push(r.runId);
    }
    const idle = await sql<
      { ms: number }[]
    >`SELECT extract(epoch FROM started_at - queued_at) * 1000 AS ms FROM playbook_step_runs WHERE run_id = ANY(${idleIds}::uuid[])`;

    const runIds = await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        engine
          .startRun({ playbook: byId.get('bench-fanout')!, incidentId: incidents[i % INCIDENTS]!, dryRun: false, trigger: 'manual', startedBy })
          .then((r) => r.runId),
      ),
    );
    await waitAll(runIds);
    const loaded = await sql<
      { ms: number }[]
    >`SELECT extract(epoch FROM started_at - queued_at) * 1000 AS ms FROM playbook_step_runs WHERE run_id = ANY(${runIds}::uuid[])`;
    const [span] = await sql<{ seconds: number; steps: number; ok: number }[]>`
      SELECT extract(epoch FROM max(finished_at) - min(queued_at)) AS seconds, count(*)::int AS steps, count(*) FILTER (WHERE state = 'succeeded')::int AS ok
      FROM playbook_step_runs WHERE run_id = ANY(${runIds}::uuid[])`;
    await engine.flush();
    const idleS = stats(idle.map((r) => Number(r.ms)));
    const loadedS = stats(loaded.map((r) => Number(r.ms)));
    const bareIdle = stats(bare.idle);
    const bareLoaded = stats(bare.loaded);
    return {
      'engine pickup, idle queue p50 / p95': `${idleS.p50} / ${idleS.p95}  (${IDLE_RUNS} single-step runs; target p95 < 50 ms)`,
      'graphile-worker bare job pickup, idle p50 / p95': `${bareIdle.p50} / ${bareIdle.p95}`,
      'engine throughput, core.noop steps': `${(span!.steps / Number(span!.seconds)).toFixed(0)} steps/s  (${span!.ok}/${span!.steps} succeeded, ${RUNS} runs × ${FANOUT} parallel steps, concurrency ${CONCURRENCY}; target ≥ 500)`,
      'engine pickup under that load p50 / p95': `${loadedS.p50} / ${loadedS.p95}`,
      'graphile-worker bare jobs throughput': `${bare.perSecond.toFixed(0)} jobs/s  (${BARE_JOBS} jobs, concurrency ${CONCURRENCY})`,
      'graphile-worker bare pickup under load p50 / p95': `${bareLoaded.p50} / ${bareLoaded.p95}  (from the batch insert)`,
    };
  } finally {
    await sql.end({ timeout: 5 });
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

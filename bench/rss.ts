/**
 * Server memory: resident set size and V8 heap after start (idle), while 1,000 incidents are
 * loaded, and after they have been projected and unloaded (the document linger has passed).
 *
 * The server process loads bench/rss-probe.mjs (NODE_OPTIONS=--expose-gc --import): at each
 * point the benchmark signals it, and it runs full collections and reports process.memoryUsage()
 * and v8.getHeapStatistics(). So "heap used" is what is still reachable, and RSS is measured
 * after the collection. RSS is split into anonymous memory (V8 heap, malloc) and file-backed
 * pages (the node binary and libraries), read by the probe itself. BENCH_RSS_SNAPSHOTS=<dir> also
 * writes a heap snapshot at each point (after its figures are read; writing one leaves the RSS of
 * the later points high, so take figures from a run without snapshots);
 * BENCH_RSS_ENV='MALLOC_ARENA_MAX=2 ...' adds environment to the server.
 */
import * as Y from 'yjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIncident, addTimelineEntry } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { connect } from '../server/db/connect.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const INCIDENTS = 1_000;
const LINGER_MS = 2_000;
const root = new URL('..', import.meta.url).pathname;

const mb = (n: number): string => `${n.toFixed(1)} MB`;
const MiB = 1024 * 1024;
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Probe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  mallocedMemory: number;
  rssAnon: number;
  rssFile: number;
  spaces: Record<string, { size: number; used: number; physical: number }>;
}

/** CPU time (user + system) the process has used, in ms (/proc/<pid>/stat, 100 ticks a second). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Ask the probe in the server for its figures (after forced full collections). */
async function probe(server: ServerProcess, file: string, label: string): Promise<Probe> {
  rmSync(file, { force: true });
  writeFileSync(`${file}.ask`, JSON.stringify({ label }));
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (existsSync(file)) {
      try {
        const p = JSON.parse(readFileSync(file, 'utf8')) as Probe & { label: string; gc: boolean };
        if (p.label === label) {
          if (!p.gc) throw new Error('the probe has no gc(): --expose-gc did not reach the server');
          return p;
        }
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e; // still being written
      }
    }
    if (Date.now() > deadline) throw new Error(`no answer from the memory probe (${label})`);
    await sleep(20);
  }
}

/** Until every document is projected (the key assignment included) and nothing changes any more. */
async function settled(databaseUrl: string): Promise<void> {
  const sql = connect(databaseUrl, { max: 1 });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [row] = await sql<{ docs: number; stale: number }[]>`
        SELECT count(*)::int AS docs, count(*) FILTER (WHERE last_seq > projected_seq)::int AS stale FROM documents`;
      if (row && row.docs >= INCIDENTS && row.stale === 0) return;
      if (Date.now() > deadline) throw new Error(`projection did not settle: ${JSON.stringify(row)}`);
      await sleep(200);
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function extraEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of (process.env.BENCH_RSS_ENV ?? '').split(' ').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export async function benchRss(databaseUrl: string, external: boolean): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'sentpilot-rss-'));
  const file = join(dir, 'probe.json');
  const snapshots = process.env.BENCH_RSS_SNAPSHOTS;
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', '--expose-gc', `--import=${join(root, 'bench/rss-probe.mjs')}`].join(' ').trim();
  const server = await startServerProcess(databaseUrl, {
    DOC_LINGER_MS: String(LINGER_MS),
    NODE_OPTIONS: nodeOptions,
    RSS_PROBE_FILE: file,
    ...(snapshots ? { RSS_PROBE_SNAPSHOT_DIR: snapshots } : {}),
    ...extraEnv(),
  });
  try {
    await sleep(2_000);
    const idle = await probe(server, file, 'idle');
    const cpuBefore = cpuMs(server.pid);
    let peak = idle.rss / MiB;
    for (let i = 0; i < INCIDENTS; i += 100) {
      const docs = [];
      for (let j = 0; j < 100; j++) {
        const doc = new Y.Doc({ guid: newId() });
        createIncident(doc, { title: `RSS incident ${i + j}`, createdBy: 'bench' });
        for (let k = 0; k < 5; k++) addTimelineEntry(doc, { kind: 'note', author: 'bench', text: `note ${k} `.repeat(10) });
        docs.push({ id: doc.guid, state_vector: b64(Y.encodeStateVector(new Y.Doc())), update: b64(Y.encodeStateAsUpdate(doc)) });
      }
      const r = await fetch(`${server.url}/api/v1/sync/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...server.headers },
        body: JSON.stringify({ docs }),
      });
      if (!r.ok) throw new Error(`batch failed: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      peak = Math.max(peak, server.rssMb());
    }
    const loaded = await probe(server, file, 'loaded');
    peak = Math.max(peak, loaded.rss / MiB);
    // Projection (and the key written back) done, then the linger, then a margin for the timers.
    await settled(databaseUrl);
    const cpuLoad = cpuMs(server.pid) - cpuBefore;
    await sleep(LINGER_MS + 3_000);
    const after = await probe(server, file, 'after');
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    const row = (p: Probe, k: Exclude<keyof Probe, 'spaces'>): string => mb(p[k] / MiB);
    const three = (k: Exclude<keyof Probe, 'spaces'>): string => `${row(idle, k)} / ${row(loaded, k)} / ${row(after, k)}`;
    // Resident pages of a V8 space (its reserved size is more): the young generation keeps its
    // semi-spaces resident even when empty after a collection.
    const space = (name: string): string => [idle, loaded, after].map((p) => mb((p.spaces[name]?.physical ?? 0) / MiB)).join(' / ');
    return {
      postgres: external ? 'external (DATABASE_URL)' : 'embedded (its own processes, not counted)',
      ...(process.env.BENCH_RSS_ENV ? { 'server environment': process.env.BENCH_RSS_ENV } : {}),
      'figures after forced full GC': 'idle / loaded / after unload',
      RSS: three('rss'),
      '  anonymous (V8 heap, malloc)': three('rssAnon'),
      '  file-backed (node binary, libraries)': three('rssFile'),
      'V8 heap used': three('heapUsed'),
      'V8 heap reserved (heapTotal)': three('heapTotal'),
      '  new space, resident (young generation)': space('new_space'),
      '  old space, resident': space('old_space'),
      '  code space, resident': space('code_space'),
      'V8 malloced (compiler zones, ...)': three('mallocedMemory'),
      'external (Buffers, ArrayBuffers)': three('external'),
      [`peak RSS while ${INCIDENTS} incidents loaded`]: mb(peak),
      [`server CPU time to take and project ${INCIDENTS} incidents`]: `${cpuLoad} ms`,
      'RSS after unload / idle (target ≤ 1.20×)': ratio(after.rss, idle.rss),
      'heap used after unload / idle (target ≤ 1.10×)': ratio(after.heapUsed, idle.heapUsed),
      'idle RSS (target < 80 MB, external Postgres)': mb(idle.rss / MiB),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

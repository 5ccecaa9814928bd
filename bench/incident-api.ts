/**
 * Incident API latency under concurrent load: p50/p95/p99 of GET /api/v1/incidents/:id and of
 * the list (50 per page) with 32 concurrent clients authenticated by an API token, against the
 * bundled server with 1,000 incidents created through POST /api/v1/incidents; compared with a
 * bare Hono route answering a constant (bench/bare-hono.ts, its own process) in the same run,
 * alternating short slices so background load hits all of them alike; then 8 clients and 1
 * client (service time, no queueing). Target: p95 < 10 ms.
 *
 * The list is measured twice: as served (pages cached until the rows change, LIST_CACHE_MS) and
 * by a second server process on the same database with LIST_CACHE_MS=0, every request read from
 * Postgres. Requests go through undici's Pool (keep-alive, one request per connection at a time):
 * the load generator shares the machine's two cores with the server and Postgres, and fetch()
 * costs it twice the CPU per request.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { fmt, percentile, startServerProcess } from './server-process.ts';

const INCIDENTS = 1_000;
const CONCURRENCY = 32;
const SLICE_MS = 1_000;
const SLICES = 6;
const TEMPLATES = ['ransomware', 'phishing', 'malware', 'ddos', 'insider', 'lost_device', 'business_email_compromise'];
const root = new URL('..', import.meta.url).pathname;

async function startBare(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-hono.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const { port } = JSON.parse(line) as { port: number };
  return { url: `http://127.0.0.1:${port}/constant`, stop: () => child.kill('SIGTERM') };
}

type Get = () => Promise<void>;

/** A GET through a keep-alive pool that reads the whole body and fails on a non-200. */
function getter(base: string, headers: Record<string, string>): (path: () => string) => Get {
  const pool = new Pool(base, { connections: CONCURRENCY, pipelining: 1 });
  return (path) => async () => {
    const r = await pool.request({ method: 'GET', path: path(), headers });
    await r.body.arrayBuffer();
    if (r.statusCode !== 200) throw new Error(`bench request failed: ${r.statusCode}`);
  };
}

/** Run `workers` concurrent clients for `ms`, recording each request's latency. */
async function slice(make: Get, ms: number, into: number[], workers = CONCURRENCY): Promise<void> {
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await make();
        into.push(performance.now() - t0);
      }
    }),
  );
}

export async function benchIncidentApi(databaseUrl: string): Promise<Record<string, string>> {
  const server = await startServerProcess(databaseUrl);
  const uncached = await startServerProcess(databaseUrl, { LIST_CACHE_MS: '0' });
  const bare = await startBare();
  try {
    const headers = { ...server.headers, 'content-type': 'application/json' };
    const ids: string[] = [];
    const seedStart = performance.now();
    for (let i = 0; i < INCIDENTS; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, INCIDENTS - i) }, async (_, j) => {
          const n = i + j;
          const r = await fetch(`${server.url}/api/v1/incidents`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ title: `Bench incident ${n}`, template: TEMPLATES[n % TEMPLATES.length], affected_assets: [`host-${n % 50}`] }),
          });
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${await r.text()}`);
          return ((await r.json()) as { id: string }).id;
        }),
      );
      ids.push(...batch);
    }
    const seedMs = performance.now() - seedStart;
    const on = getter(server.url, server.headers);
    const LIST = '/api/v1/incidents?limit=50&sort=updated_at';
    const paths = {
      bare: getter(new URL(bare.url).origin, {})(() => '/constant'),
      get: on(() => `/api/v1/incidents/${ids[Math.floor(Math.random() * ids.length)]}`),
      list: on(() => LIST),
      uncached: getter(uncached.url, uncached.headers)(() => LIST),
    };
    type Name = keyof typeof paths;
    const names = Object.keys(paths) as Name[];
    // Warm up every path (JIT, connection pools).
    for (const n of names) await slice(paths[n], 300, []);
    const round = async (workers: number, ms: number): Promise<Record<Name, number[]>> => {
      const lat = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
      for (let s = 0; s < SLICES; s++) for (const n of names) await slice(paths[n], ms, lat[n], workers);
      for (const n of names) lat[n].sort((a, b) => a - b);
      return lat;
    };
    const lat = await round(CONCURRENCY, SLICE_MS);
    const eight = await round(8, SLICE_MS / 2);
    const one = await round(1, SLICE_MS / 2);
    const p = (xs: number[], q: number): number => percentile(xs, q);
    const row = (xs: number[], ms: number): string =>
      `p50 ${fmt(p(xs, 50))}  p95 ${fmt(p(xs, 95))}  p99 ${fmt(p(xs, 99))}  ${Math.round(xs.length / ((SLICES * ms) / 1000))} req/s`;
    const ratio = (xs: number[], bareXs: number[]): string => `×${(p(xs, 95) / p(bareXs, 95)).toFixed(1)}`;
    const figures: Record<string, string> = {
      [`seed: ${INCIDENTS} incidents via POST /incidents (8 concurrent)`]: `${(seedMs / 1000).toFixed(1)} s (${fmt(seedMs / INCIDENTS)} each)`,
    };
    const label: Record<Name, string> = {
      bare: 'bare Hono constant',
      get: 'GET /incidents/:id',
      list: 'GET /incidents?limit=50',
      uncached: 'same list, LIST_CACHE_MS=0',
    };
    for (const [workers, r, ms] of [
      [CONCURRENCY, lat, SLICE_MS],
      [8, eight, SLICE_MS / 2],
      [1, one, SLICE_MS / 2],
    ] as const) {
      for (const n of names) figures[`${workers} clients: ${label[n]}`] = `${row(r[n], ms)}${n === 'bare' ? '' : `  (p95 ${ratio(r[n], r.bare)} bare)`}`;
    }
    const verdict = (r: Record<Name, number[]>): string =>
      names
        .filter((n) => n !== 'bare')
        .map((n) => `${n} ${p(r[n], 95) < 10 ? 'met' : 'MISSED'}`)
        .join(', ');
    figures['target p95 < 10 ms, 32 clients'] = verdict(lat);
    figures['target p95 < 10 ms, 8 clients'] = verdict(eight);
    return figures;
  } finally {
    bare.stop();
    await uncached.stop();
    await server.stop();
  }
}

/**
 * Incident API latency under concurrent load: p50/p95/p99 of GET /api/v1/incidents/:id and of
 * the list (50 per page) with 32 concurrent clients authenticated by an API token, against the
 * bundled server with 1,000 incidents created through POST /api/v1/incidents; compared with a
 * bare Hono route answering a constant (bench/bare-hono.ts, its own process) in the same run,
 * alternating short slices so background load hits all three alike; then 8 clients and 1 client
 * (service time, no queueing). Target: p95 < 10 ms.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
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

/** Run `workers` concurrent clients for `ms`, recording each request's latency. */
async function slice(make: () => Promise<Response>, ms: number, into: number[], workers = CONCURRENCY): Promise<void> {
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await make();
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`bench request failed: ${r.status}`);
        into.push(performance.now() - t0);
      }
    }),
  );
}

export async function benchIncidentApi(databaseUrl: string): Promise<Record<string, string>> {
  const server = await startServerProcess(databaseUrl);
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
    const get = (): Promise<Response> => fetch(`${server.url}/api/v1/incidents/${ids[Math.floor(Math.random() * ids.length)]}`, { headers: server.headers });
    const list = (): Promise<Response> => fetch(`${server.url}/api/v1/incidents?limit=50&sort=updated_at`, { headers: server.headers });
    const constant = (): Promise<Response> => fetch(bare.url);
    // Warm up every path (JIT, connection pools, caches).
    for (const f of [get, list, constant]) await slice(f, 300, []);
    const lat = { get: [] as number[], list: [] as number[], bare: [] as number[] };
    for (let s = 0; s < SLICES; s++) {
      await slice(constant, SLICE_MS, lat.bare);
      await slice(get, SLICE_MS, lat.get);
      await slice(list, SLICE_MS, lat.list);
    }
    // Moderate load: 8 concurrent clients, same alternation.
    const eight = { get: [] as number[], list: [] as number[], bare: [] as number[] };
    for (let s = 0; s < SLICES; s++) {
      await slice(constant, SLICE_MS / 2, eight.bare, 8);
      await slice(get, SLICE_MS / 2, eight.get, 8);
      await slice(list, SLICE_MS / 2, eight.list, 8);
    }
    // Service time: one client at a time (no queueing), same alternation.
    const one = { get: [] as number[], list: [] as number[], bare: [] as number[] };
    for (let s = 0; s < SLICES; s++) {
      await slice(constant, SLICE_MS / 2, one.bare, 1);
      await slice(get, SLICE_MS / 2, one.get, 1);
      await slice(list, SLICE_MS / 2, one.list, 1);
    }
    for (const v of [...Object.values(lat), ...Object.values(eight), ...Object.values(one)]) v.sort((a, b) => a - b);
    const p = (xs: number[], q: number): number => percentile(xs, q);
    const row = (xs: number[]): string => `p50 ${fmt(p(xs, 50))}  p95 ${fmt(p(xs, 95))}  p99 ${fmt(p(xs, 99))}  (${xs.length} req)`;
    const ratio = (xs: number[]): string =>
      `p50 ×${(p(xs, 50) / p(lat.bare, 50)).toFixed(1)}  p95 ×${(p(xs, 95) / p(lat.bare, 95)).toFixed(1)}  p99 ×${(p(xs, 99) / p(lat.bare, 99)).toFixed(1)}`;
    const rps = (xs: number[]): string => `${Math.round(xs.length / ((SLICES * SLICE_MS) / 1000))} req/s`;
    return {
      [`seed: ${INCIDENTS} incidents via POST /incidents (8 concurrent)`]: `${(seedMs / 1000).toFixed(1)} s (${fmt(seedMs / INCIDENTS)} each)`,
      [`bare Hono constant, ${CONCURRENCY} concurrent`]: `${row(lat.bare)}  ${rps(lat.bare)}`,
      [`GET /incidents/:id, ${CONCURRENCY} concurrent, Bearer token`]: `${row(lat.get)}  ${rps(lat.get)}`,
      ['GET /incidents/:id ÷ bare']: ratio(lat.get),
      [`GET /incidents?limit=50, ${CONCURRENCY} concurrent`]: `${row(lat.list)}  ${rps(lat.list)}`,
      ['GET /incidents ÷ bare']: ratio(lat.list),
      ['8 clients: bare / GET :id / list']: `p95 ${fmt(p(eight.bare, 95))} / ${fmt(p(eight.get, 95))} / ${fmt(p(eight.list, 95))}; p50 ${fmt(p(eight.bare, 50))} / ${fmt(p(eight.get, 50))} / ${fmt(p(eight.list, 50))}`,
      ['1 client: bare / GET :id / list']: `p95 ${fmt(p(one.bare, 95))} / ${fmt(p(one.get, 95))} / ${fmt(p(one.list, 95))}; p50 ${fmt(p(one.bare, 50))} / ${fmt(p(one.get, 50))} / ${fmt(p(one.list, 50))}`,
      ['target p95 < 10 ms (32 concurrent)']: `get ${p(lat.get, 95) < 10 ? 'met' : 'MISSED'}, list ${p(lat.list, 95) < 10 ? 'met' : 'MISSED'}`,
    };
  } finally {
    bare.stop();
    await server.stop();
  }
}

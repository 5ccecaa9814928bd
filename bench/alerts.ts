/**
 * Alert ingestion throughput with dedup and correlation on, against 10,000 open incidents: the
 * incidents are seeded through the alerts endpoint itself (10,000 distinct alerts in batches of
 * 500, each opening an incident; then the projector is given time to catch up, so the load is
 * measured against a quiet server), then a sustained mixed load in batches of 500 (40 % repeats of
 * seeded alerts → deduplicated, 40 % new alerts sharing an IP with a seeded incident →
 * correlated into it, 20 % unrelated → new incidents), then single alerts (one request each, 1
 * and 8 concurrent senders).
 */
import { fmt, percentile, type ServerProcess } from './server-process.ts';

const OPEN_INCIDENTS = 10_000;
const BATCH = 500;
const MIXED_BATCHES = 20;
const SINGLE_MS = 3_000;
const PROJECTION_WAIT_MS = 300_000;

interface Counts {
  created: number;
  deduplicated: number;
  correlated: number;
  failed: number;
}

const ipOf = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const seedAlert = (n: number): Record<string, unknown> => ({
  source: 'bench',
  type: 'intrusion',
  title: `Seed alert ${n}`,
  impact: 3,
  likelihood: 3,
  observables: { ips: [ipOf(n)], hosts: [`host-${n}`] },
});

async function projectedIncidents(server: ServerProcess): Promise<number> {
  const r = await fetch(`${server.url}/api/v1/incidents?limit=1`, { headers: server.headers });
  const list = (await r.json()) as { total?: number };
  return list.total ?? 0;
}

async function postBatch(server: ServerProcess, alerts: unknown[]): Promise<{ ms: number; counts: Counts }> {
  const t0 = performance.now();
  const r = await fetch(`${server.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { ...server.headers, 'content-type': 'application/json' },
    body: JSON.stringify(alerts.length === 1 ? alerts[0] : { alerts }),
  });
  const body = (await r.json()) as { counts: Counts };
  if (r.status !== 200) throw new Error(`alerts bench: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { ms: performance.now() - t0, counts: body.counts };
}

const add = (a: Counts, b: Counts): void => {
  a.created += b.created;
  a.deduplicated += b.deduplicated;
  a.correlated += b.correlated;
  a.failed += b.failed;
};

export async function benchAlerts(server: ServerProcess): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // Seed: every alert distinct → one incident each.
  const seedStart = performance.now();
  const seeded: Counts = { created: 0, deduplicated: 0, correlated: 0, failed: 0 };
  for (let i = 0; i < OPEN_INCIDENTS; i += BATCH) {
    const { counts } = await postBatch(
      server,
      Array.from({ length: BATCH }, (_, k) => seedAlert(i + k)),
    );
    add(seeded, counts);
  }
  const seedS = (performance.now() - seedStart) / 1000;
  out['seed: alerts each opening an incident'] = `${seeded.created} in ${seedS.toFixed(1)} s = ${Math.round(seeded.created / seedS)} alerts/s`;
  // Measure against a quiet server: wait until the projector has caught up with the seed.
  const waitStart = performance.now();
  let projected = 0;
  while (performance.now() - waitStart < PROJECTION_WAIT_MS) {
    projected = await projectedIncidents(server);
    if (projected >= OPEN_INCIDENTS) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  out['projector catching up with the seed'] = `${projected} incidents projected after ${((performance.now() - waitStart) / 1000).toFixed(0)} s more`;

  // Sustained mixed batches.
  let fresh = OPEN_INCIDENTS;
  let pick = 7;
  const nextSeed = (): number => (pick = (pick * 7_919 + 13) % OPEN_INCIDENTS);
  const latencies: number[] = [];
  const mixed: Counts = { created: 0, deduplicated: 0, correlated: 0, failed: 0 };
  const mixStart = performance.now();
  for (let b = 0; b < MIXED_BATCHES; b++) {
    const alerts: unknown[] = [];
    for (let k = 0; k < BATCH; k++) {
      const roll = k % 5;
      if (roll < 2) alerts.push(seedAlert(nextSeed()));
      else if (roll < 4) {
        const n = nextSeed();
        alerts.push({ source: 'bench', type: 'c2', title: `Follow-up ${b}-${k}`, impact: 4, observables: { ips: [ipOf(n), '192.0.2.1'] } });
      } else alerts.push(seedAlert(fresh++));
    }
    const { ms, counts } = await postBatch(server, alerts);
    latencies.push(ms);
    add(mixed, counts);
  }
  const mixS = (performance.now() - mixStart) / 1000;
  const total = MIXED_BATCHES * BATCH;
  latencies.sort((a, b) => a - b);
  out['batches of 500, mixed (40 % dup, 40 % correlated, 20 % new)'] = `${Math.round(total / mixS)} alerts/s`;
  out['  outcome'] = `${mixed.deduplicated} deduplicated, ${mixed.correlated} correlated, ${mixed.created} created, ${mixed.failed} failed`;
  out['  batch latency p50 / p99'] = `${fmt(percentile(latencies, 50))} / ${fmt(percentile(latencies, 99))}`;

  // Single alerts, one request each.
  for (const senders of [1, 8]) {
    const single: number[] = [];
    const end = performance.now() + SINGLE_MS;
    await Promise.all(
      Array.from({ length: senders }, async () => {
        while (performance.now() < end) {
          const { ms } = await postBatch(server, [seedAlert(fresh++)]);
          single.push(ms);
        }
      }),
    );
    single.sort((a, b) => a - b);
    out[`single alerts, ${senders} sender${senders > 1 ? 's' : ''} (new incident each)`] =
      `${Math.round(single.length / (SINGLE_MS / 1000))} alerts/s, p50 ${fmt(percentile(single, 50))}, p99 ${fmt(percentile(single, 99))}`;
  }
  out['incidents projected at the end'] = String(await projectedIncidents(server));
  out['server RSS at the end'] = `${server.rssMb().toFixed(0)} MB`;
  return out;
}

/**
 * `npm run bench [name]`: builds what `npm start` runs, then measures server memory, edit
 * propagation, the cost of identity and audit, alert ingestion, incident API latency and the cold
 * open of a 5,000-entry incident. Each benchmark gets a fresh database, so one's data (10,000
 * alert-born incidents, say) never slows another. Prints the figures; asserts nothing.
 */
import { benchAlerts } from './alerts.ts';
import { benchAuth } from './auth.ts';
import { benchColdOpen } from './cold-open.ts';
import { benchEvidence } from './evidence.ts';
import { benchIncidentApi } from './incident-api.ts';
import { benchIntel } from './intel.ts';
import { benchMixedLoad } from './mixed-load.ts';
import { benchPropagation } from './propagation.ts';
import { benchPlaybooks } from './playbooks.ts';
import { benchRss } from './rss.ts';
import { benchDatabase, buildAll, startServerProcess, type BenchDatabase, type ServerProcess } from './server-process.ts';

type Figures = Record<string, string>;

function print(title: string, figures: Figures): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(52)} ${v}`);
}

async function onFreshDatabase(fn: (db: BenchDatabase) => Promise<Figures>): Promise<Figures> {
  const db = await benchDatabase();
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

async function withServer(fn: (server: ServerProcess) => Promise<Figures>): Promise<Figures> {
  return onFreshDatabase(async (db) => {
    const server = await startServerProcess(db.url);
    try {
      return await fn(server);
    } finally {
      await server.stop();
    }
  });
}

const BENCHES: [name: string, title: string, run: () => Promise<Figures>][] = [
  ['rss', 'Server memory', () => onFreshDatabase((db) => benchRss(db.url, db.external))],
  ['propagation', 'Edit propagation, 1 writer → 50 readers on one incident (loopback)', () => withServer(benchPropagation)],
  ['auth', 'Identity and audit cost (in one run, alternating rounds)', () => onFreshDatabase((db) => benchAuth(db.url))],
  ['alerts', 'Alert ingestion, dedup and correlation on, 10,000 open incidents', () => withServer(benchAlerts)],
  ['incident-api', 'Incident API latency under load (ratio to a bare Hono route, same run)', () => onFreshDatabase((db) => benchIncidentApi(db.url))],
  [
    'cold-open',
    `Cold open, incident with ${Number(process.env.BENCH_COLD_OPEN_ENTRIES ?? 5_000).toLocaleString('en')} timeline entries`,
    () => onFreshDatabase((db) => benchColdOpen(db.url)),
  ],
  [
    'playbooks',
    'Playbook engine: step pickup and core.noop throughput (graphile-worker bare jobs as the reference, same run)',
    () => onFreshDatabase((db) => benchPlaybooks(db.url)),
  ],
  [
    'intel',
    'Threat-intel store: 1,000,000-line IPv4 feed ingest vs raw COPY (same run); lookups with 1,000,000 loaded',
    () => onFreshDatabase((db) => benchIntel(db.url)),
  ],
  [
    'mixed',
    'Mixed writers for 60 s (events, alerts with playbook steps, socket edits), then SIGKILL: /healthz throughout, accepted writes stored',
    () =>
      onFreshDatabase(async (db) => {
        const server = await startServerProcess(db.url);
        // The bench ends the server itself, with SIGKILL; stop it only if it failed before that.
        return benchMixedLoad(server, db.url).catch(async (e: unknown) => {
          await server.stop().catch(() => undefined);
          throw e;
        });
      }),
  ],
  ['evidence', 'Evidence locker, 2 GiB file: upload and download against a raw disk copy (one run)', () => onFreshDatabase((db) => benchEvidence(db.url))],
];

const only = process.argv[2];
if (only && !BENCHES.some(([name]) => name === only)) {
  console.error(`unknown benchmark "${only}"; one of: ${BENCHES.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
// In-process benchmarks need no build.
if (only !== 'auth') await buildAll();
for (const [name, title, run] of BENCHES) if (!only || only === name) print(title, await run());
process.exit(0);

/**
 * Cost of identity and audit: throughput of an authenticated read route (GET
 * /api/v1/incidents/:id with a Bearer token) against the same route without the middleware, and
 * of a write (POST /api/v1/sync/batch: auth + one audit entry per flush per actor per document)
 * against the same write without either, in one run, alternating rounds; plus p50/p99 of the
 * auth check alone (cached and uncached) and of one audit append.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as Y from 'yjs';
import { addTimelineEntry, createIncident } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { createAuditLog } from '../server/audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../server/audit/audit-types.ts';
import { createAuthenticator, credentialFrom } from '../server/auth/authenticator.ts';
import { connect } from '../server/db/connect.ts';
import { createLogger } from '../server/logger.ts';
import { adminToken, fmt, percentile } from './server-process.ts';

/** Each measurement alternates the two variants in short slices, so background load hits both alike. */
const SLICE_MS = 500;
const SLICES = 12;
const CONCURRENCY = 16;
const root = new URL('..', import.meta.url).pathname;
const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

/** Requests per second with CONCURRENCY workers for `ms`. */
async function throughput(make: () => Promise<Response>, ms: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const r = await make();
        if (!r.ok) throw new Error(`bench request failed: ${r.status} ${await r.text()}`);
        await r.arrayBuffer();
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

async function timings(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** A small device edit for `id` on top of the server state `base`. */
function editFor(id: string, base: Y.Doc, i: number): string {
  const sv = Y.encodeStateVector(base);
  addTimelineEntry(base, { kind: 'note', author: 'bench', text: `edit ${i}` });
  return JSON.stringify({ docs: [{ id, state_vector: b64(Y.encodeStateVector(base)), update: b64(Y.encodeStateAsUpdate(base, sv)) }] });
}

export async function benchAuth(databaseUrl: string): Promise<Record<string, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/auth-server.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench auth server exited with ${code}`)));
  });
  const ports = JSON.parse(line) as { authed: number; bare: number };
  const authed = `http://127.0.0.1:${ports.authed}`;
  const bare = `http://127.0.0.1:${ports.bare}`;
  try {
    const headers = await adminToken(authed);
    // One incident to read, projected.
    const id = newId();
    const doc = new Y.Doc({ guid: id });
    createIncident(doc, { title: 'Auth bench', createdBy: 'bench' });
    const seed = await fetch(`${authed}/api/v1/sync/batch`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ docs: [{ id, state_vector: b64(Y.encodeStateVector(new Y.Doc())), update: b64(Y.encodeStateAsUpdate(doc)) }] }),
    });
    if (!seed.ok) throw new Error(`seed failed: ${seed.status} ${await seed.text()}`);
    for (let i = 0; i < 100 && !(await fetch(`${authed}/api/v1/incidents/${id}`, { headers })).ok; i++) await new Promise((r) => setTimeout(r, 50));

    const read = { authed: [] as number[], bare: [] as number[] };
    const write = { authed: [] as number[], bare: [] as number[] };
    // Writes go to separate documents per variant (each a copy growing by one entry per request).
    const writeDocs = { authed: new Y.Doc(), bare: new Y.Doc() };
    const writeIds = { authed: newId(), bare: newId() };
    for (const k of ['authed', 'bare'] as const) createIncident(writeDocs[k], { title: `writes ${k}`, createdBy: 'bench' });
    let n = 0;
    const readOnce = (k: 'authed' | 'bare', ms: number) =>
      throughput(() => (k === 'authed' ? fetch(`${authed}/api/v1/incidents/${id}`, { headers }) : fetch(`${bare}/api/v1/incidents/${id}`)), ms);
    const writeOnce = (k: 'authed' | 'bare', ms: number) => {
      const base = k === 'authed' ? authed : bare;
      const h = k === 'authed' ? { ...headers, 'content-type': 'application/json' } : { 'content-type': 'application/json' };
      return throughput(() => fetch(`${base}/api/v1/sync/batch`, { method: 'POST', headers: h, body: editFor(writeIds[k], writeDocs[k], n++) }), ms);
    };
    // Warm up both (JIT, pools), then alternate which variant goes first in each round.
    for (const k of ['bare', 'authed'] as const) {
      await readOnce(k, 1_000);
      await writeOnce(k, 1_000);
    }
    for (let i = 0; i < SLICES; i++) {
      const order = i % 2 === 0 ? (['bare', 'authed'] as const) : (['authed', 'bare'] as const);
      for (const k of order) read[k].push(await readOnce(k, SLICE_MS));
    }
    const before = n;
    for (let i = 0; i < SLICES; i++) {
      const order = i % 2 === 0 ? (['bare', 'authed'] as const) : (['authed', 'bare'] as const);
      for (const k of order) write[k].push(await writeOnce(k, SLICE_MS));
    }
    const writes = n - before;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    /** Cost from the totals, and the median of the per-slice-pair costs (robust to a noisy slice). */
    const cost = (a: number[], b: number[]) => {
      const pairs = a.map((x, i) => ((b[i] ?? x) - x) / (b[i] ?? x));
      return `${(((mean(b) - mean(a)) / mean(b)) * 100).toFixed(1)} % (median of ${SLICES} slice pairs: ${(median(pairs) * 100).toFixed(1)} %)`;
    };

    // The auth check alone and one audit append, in this process against the same database.
    const sql = connect(databaseUrl, { max: 4 });
    const logger = createLogger({ level: 'silent' });
    const cred = credentialFrom(headers.authorization, undefined);
    const cached = createAuthenticator({ sql, logger, sessionTtlMs: 3600_000 });
    const uncached = createAuthenticator({ sql, logger, sessionTtlMs: 3600_000, cacheMs: 0 });
    await cached.resolve(cred);
    const hot = await timings(5_000, () => cached.resolve(cred));
    const cold = await timings(1_000, () => uncached.resolve(cred));
    const audit = createAuditLog(sql);
    const appends = await timings(1_000, () => audit.append([{ actor: SYSTEM_ACTOR, action: 'bench.append', targetType: 'bench', details: { n: 1 } }]));
    const [entries] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'incident.update' AND actor_kind = 'token'`;
    await sql.end();

    return {
      'read GET /incidents/:id without auth': `${mean(read.bare).toFixed(0)} req/s`,
      'read GET /incidents/:id with auth (Bearer token)': `${mean(read.authed).toFixed(0)} req/s`,
      'read throughput cost of auth': cost(read.authed, read.bare),
      'write POST /sync/batch without auth or audit': `${mean(write.bare).toFixed(0)} req/s`,
      'write POST /sync/batch with auth and audit': `${mean(write.authed).toFixed(0)} req/s`,
      'write throughput cost of auth + audit': cost(write.authed, write.bare),
      'audit entries written for the authed writes': `${entries?.n ?? 0} (one per flush, for ~${Math.round(writes / 2)} write requests)`,
      'auth check, cached credential p50 / p99': `${us(percentile(hot, 50))} / ${us(percentile(hot, 99))}`,
      'auth check, uncached (one Postgres lookup) p50 / p99': `${us(percentile(cold, 50))} / ${us(percentile(cold, 99))}`,
      'one audit append (own transaction) p50 / p99': `${fmt(percentile(appends, 50))} / ${fmt(percentile(appends, 99))}`,
    };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

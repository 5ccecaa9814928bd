/**
 * Threat-intel store: ingest of a generated 1,000,000-line IPv4 plain feed through the real
 * path, end to end (the feed's body streamed to POST /feeds/{id}/push of the server process: the
 * plain parser + store.ts: COPY into staging, merge into indicators and sightings, one
 * transaction, the run row, the retrospective search) against two references in the same run on
 * the same database: a raw COPY of the same rows into a bare table, and into a table with the
 * store's unique (type, value) index (taken before and after the ingest, the mean used, since
 * the machine's load moves between them); then lookups with the million loaded: single-value GET
 * /indicators/lookup (sequential, p50/p99), one bulk POST of 10,000 values (half present, half
 * absent), and the unfiltered indicator search GET /indicators (first page and cursor pages),
 * over HTTP through a keep-alive connection.
 * Targets: ingest ≥ 50% of the rows/s of the COPY into the uniquely indexed table; single p99 <
 * 5 ms; bulk < 200 ms; search p95 < 50 ms.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { connect } from '../server/db/connect.ts';
import { fmt, percentile, startServerProcess } from './server-process.ts';

const LINES = 1_000_000;
const SINGLE_LOOKUPS = 2_000;
const BULK = 10_000;
const SEARCHES = 200;

/** The i-th generated address: unique, spread over 11.0.0.0 – 74.x (public space). */
function ipOf(i: number): string {
  const n = 11 * 2 ** 24 + i * 61;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The feed body in 64 KiB-ish chunks, as a download would arrive. */
function* feedChunks(prefix = ''): Generator<string> {
  let buf = '';
  for (let i = 0; i < LINES; i++) {
    buf += `${prefix}${ipOf(i)}\n`;
    if (buf.length >= 65_536) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

export async function benchIntel(databaseUrl: string): Promise<Record<string, string>> {
  // BENCH_INTEL_LOG_LEVEL=info shows the server's "feed run succeeded" lines, with the store's time per phase.
  const server = await startServerProcess(databaseUrl, {
    INTEL_PUSH_MAX_BYTES: String(256 * 1024 ** 2),
    ...(process.env.BENCH_INTEL_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_INTEL_LOG_LEVEL } : {}),
  });
  const sql = connect(databaseUrl, { max: 1 });
  const pool = new Pool(server.url, { connections: 1, pipelining: 1 });
  const headers = server.headers;
  try {
    const figures: Record<string, string> = {};

    // Raw COPY of the same rows (type, value) into a bare table: the reference.
    await sql`CREATE TABLE bench_raw_copy (type text, value text)`;
    let t0 = performance.now();
    const writable = await sql`COPY bench_raw_copy FROM STDIN`.writable();
    await pipeline(Readable.from(feedChunks('ipv4\t')), writable);
    const rawMs = performance.now() - t0;
    await sql`DROP TABLE bench_raw_copy`;
    // The reference: the same COPY into a table with the store's unique (type, value) index.
    const uniqueCopy = async (): Promise<number> => {
      await sql`CREATE TABLE bench_raw_unique (type text, value text, UNIQUE (type, value))`;
      const t = performance.now();
      await pipeline(Readable.from(feedChunks('ipv4\t')), await sql`COPY bench_raw_unique FROM STDIN`.writable());
      const ms = performance.now() - t;
      await sql`DROP TABLE bench_raw_unique`;
      return ms;
    };
    const uniqueBefore = await uniqueCopy();

    // The real path: a push feed, its body streamed to the server as a sender would.
    const created = await pool.request({
      method: 'POST',
      path: '/api/v1/feeds',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench list', url: null, format: 'plain', default_confidence: 70 }),
    });
    if (created.statusCode !== 201) throw new Error(`create feed: ${created.statusCode} ${await created.body.text()}`);
    const feedId = ((await created.body.json()) as { id: string }).id;
    const push = async (): Promise<{ state: string; added: number; updated: number }> => {
      const r = await pool.request({
        method: 'POST',
        path: `/api/v1/feeds/${feedId}/push`,
        headers: { ...headers, 'content-type': 'text/plain' },
        body: Readable.from(feedChunks()),
      });
      if (r.statusCode !== 200) throw new Error(`push: ${r.statusCode} ${await r.body.text()}`);
      return (await r.body.json()) as { state: string; added: number; updated: number };
    };
    t0 = performance.now();
    const run = await push();
    const ingestMs = performance.now() - t0;
    if (run.state !== 'succeeded' || run.added !== LINES) throw new Error(`ingest did not succeed: ${JSON.stringify(run)}`);
    const uniqueAfter = await uniqueCopy();
    const uniqueMs = (uniqueBefore + uniqueAfter) / 2;
    const rate = (ms: number): string => `${Math.round(LINES / (ms / 1000)).toLocaleString('en')} rows/s`;
    figures['reference 1: raw COPY, 1,000,000 rows into a bare table'] = `${fmt(rawMs)} (${rate(rawMs)})`;
    figures['reference 2: raw COPY into a table with a unique (type, value) index, before / after the ingest'] =
      `${fmt(uniqueBefore)} / ${fmt(uniqueAfter)} (mean ${rate(uniqueMs)}) = ${((rawMs / uniqueMs) * 100).toFixed(1)}% of the bare COPY`;
    figures['feed push over HTTP (parse + store), 1,000,000 IPv4'] = `${fmt(ingestMs)} (${rate(ingestMs)})`;
    figures['ingest / COPY into the indexed table (target ≥ 50%)'] = `${((uniqueMs / ingestMs) * 100).toFixed(1)}%`;
    figures['(context) ingest / bare COPY'] = `${((rawMs / ingestMs) * 100).toFixed(1)}%`;

    // Re-push of the same list (every row an update): the daily case.
    t0 = performance.now();
    const again = await push();
    figures['re-ingest of the same 1,000,000 (all updates)'] = `${fmt(performance.now() - t0)} (updated ${again.updated})`;
    await sql`VACUUM ANALYZE indicators`;
    await sql`VACUUM ANALYZE indicator_sightings`;

    const single: number[] = [];
    for (let i = 0; i < SINGLE_LOOKUPS; i++) {
      const value = i % 2 === 0 ? ipOf((i * 7919) % LINES) : `9.9.${i % 250}.${i % 200}`;
      const s = performance.now();
      const r = await pool.request({ method: 'GET', path: `/api/v1/indicators/lookup?value=${encodeURIComponent(value)}`, headers });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`lookup answered ${r.statusCode}`);
      single.push(performance.now() - s);
    }
    single.sort((a, b) => a - b);
    figures['single lookup p50 / p99 (GET /indicators/lookup over HTTP; target p99 < 5 ms)'] =
      `${fmt(percentile(single, 50))} / ${fmt(percentile(single, 99))}`;
    // The floor under it on this machine: the same number of requests to a route that does nothing.
    const floor: number[] = [];
    for (let i = 0; i < SINGLE_LOOKUPS; i++) {
      const s = performance.now();
      const r = await pool.request({ method: 'GET', path: '/healthz' });
      await r.body.arrayBuffer();
      floor.push(performance.now() - s);
    }
    floor.sort((a, b) => a - b);
    figures['(context) GET /healthz p50 / p99, same connection'] = `${fmt(percentile(floor, 50))} / ${fmt(percentile(floor, 99))}`;

    const values = Array.from({ length: BULK }, (_, i) => (i % 2 === 0 ? ipOf((i * 104_729) % LINES) : `8.8.${i % 250}.${i % 200}`));
    const bulk: number[] = [];
    for (let round = 0; round < 5; round++) {
      const s = performance.now();
      const r = await pool.request({
        method: 'POST',
        path: '/api/v1/indicators/lookup',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ values }),
      });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`bulk lookup answered ${r.statusCode}`);
      bulk.push(performance.now() - s);
    }
    bulk.sort((a, b) => a - b);
    figures['bulk lookup of 10,000 values, median of 5 (POST over HTTP; target < 200 ms)'] = fmt(percentile(bulk, 50));

    // The indicator search without a filter over the million: the first page, then cursor pages.
    const search: number[] = [];
    let cursor: string | null = null;
    let total: unknown;
    for (let i = 0; i < SEARCHES; i++) {
      if (i % 10 === 0) cursor = null;
      const s = performance.now();
      const r = await pool.request({ method: 'GET', path: `/api/v1/indicators?limit=50${cursor ? `&cursor=${cursor}` : ''}`, headers });
      const page = (await r.body.json()) as { next_cursor: string | null; total: unknown; total_capped: boolean };
      search.push(performance.now() - s);
      if (r.statusCode !== 200) throw new Error(`search answered ${r.statusCode}`);
      cursor = page.next_cursor;
      total = page.total_capped ? 'capped' : page.total;
    }
    search.sort((a, b) => a - b);
    figures[`GET /indicators, no filter, 50 a page, ${SEARCHES} requests p50 / p95 (target p95 < 50 ms)`] =
      `${fmt(percentile(search, 50))} / ${fmt(percentile(search, 95))} (total: ${String(total)})`;
    return figures;
  } finally {
    await pool.close();
    await sql.end();
    await server.stop();
  }
}

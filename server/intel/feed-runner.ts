/**
 * Feed runs: scheduled and manual pulls, pushes, progress and history.
 *
 * Scheduling is an interval tick in every server process, coordinated through Postgres rather
 * than a second graphile-worker: a tick claims due feeds with `FOR UPDATE SKIP LOCKED` and moves
 * their `next_run_at` forward in the same statement (so no two processes pick the same feed, and
 * the schedule survives restarts), and a run exists only as a row that the unique partial index
 * `intel_feed_runs_active_idx` allows once per feed — a manual run, a push and a scheduled run
 * can never overlap, in one process or across several. A running run writes its progress (parsed,
 * bytes) every ~500 ms, which doubles as a heartbeat: a run whose row has not moved for
 * `staleMs` was left by a dead process and the sweeper marks it failed, freeing the feed.
 * (graphile-worker would add a job table round-trip per run for nothing the claim does not
 * already give; runs are long and few.)
 *
 * One run = one store transaction (store.ts): a failed, truncated or refused pull changes nothing
 * stored; only a successful pull records the validators (ETag / Last-Modified) used by the next
 * conditional request, where a 304 finishes the run as `not_modified`.
 */
import { safeText } from '../../shared/safe-text.ts';
import { newId } from '../../shared/ids.ts';
import type { z } from 'zod';
import type { FeedFormat, FeedRun, feedOptionsSchema, IndicatorType } from '../../shared/intel-api.ts';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { parseFeed, type BodyFormat } from './parsers/parse-feed.ts';
import { floorTlp } from './parsers/item.ts';
import type { IntelObject, ParseEvent, Skipped, Tlp } from './parsers/types.ts';
import { mispEventUrls, mispManifestUrl } from './parsers/misp.ts';
import { parseStixObjects } from './parsers/stix.ts';
import { fetchTaxiiObjects } from './taxii.ts';
import { guardedFetch, guardedGet, type GuardOptions } from './ssrf.ts';
import { ingest, retroRanges, type RetroRanges, type StoreItem } from './store.ts';

export interface FeedRow {
  id: string;
  name: string;
  url: string | null;
  format: FeedFormat;
  schedule_minutes: number;
  default_confidence: number;
  tlp: string;
  types: IndicatorType[] | null;
  enabled: boolean;
  options: Record<string, unknown>;
  etag: string | null;
  last_modified: string | null;
  cursor: string | null;
  next_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface RunRow {
  id: string;
  feed_id: string;
  state: FeedRun['state'];
  started_at: Date | null;
  finished_at: Date | null;
  parsed: number;
  objects: number;
  bytes_read: number;
  bytes_total: number | null;
  added: number;
  updated: number;
  expired: number;
  skipped: number;
  skipped_samples: FeedRun['skipped_samples'];
  tlp_unrecognised: number;
  error: string | null;
}

export function toFeedRun(r: RunRow): FeedRun {
  return {
    id: r.id,
    feed_id: r.feed_id,
    state: r.state,
    started_at: r.started_at?.toISOString() ?? null,
    finished_at: r.finished_at?.toISOString() ?? null,
    parsed: r.parsed,
    objects: r.objects,
    bytes_read: r.bytes_read,
    bytes_total: r.bytes_total,
    added: r.added,
    updated: r.updated,
    expired: r.expired,
    skipped: r.skipped,
    skipped_samples: r.skipped_samples,
    tlp_unrecognised: r.tlp_unrecognised,
    error: r.error,
  };
}

const MAX_SAMPLES = 20;
type FeedOptions = z.infer<typeof feedOptionsSchema>;

export interface FeedRunnerOptions {
  sql: Sql;
  logger: Logger;
  guard: GuardOptions;
  /** Named secrets (options.auth_secret): the value is sent as the Authorization header. */
  secret?: (name: string) => Promise<string | null>;
  /** Called with the ids a successful run added or revived (the retrospective search in matching.ts). */
  onAdded: (added: RetroRanges) => Promise<void>;
  /** Scheduler tick (default 15 s). */
  tickMs?: number;
  /** A running run silent this long is taken as abandoned (default 2 min). */
  staleMs?: number;
  /** Progress write interval (default 500 ms). */
  progressMs?: number;
}

export interface FeedRunner {
  start(): void;
  stop(): Promise<void>;
  /** Claim a run now and execute it in the background; null when one is already active. */
  runNow(feedId: string): Promise<FeedRun | null>;
  /** Ingest pushed content synchronously (an increment: expires nothing); null when a run is active. */
  push(feedId: string, content: AsyncIterable<Uint8Array | string>, bytesTotal: number | null): Promise<FeedRun | null>;
  /** Claim and run every due feed once (the tick); returns the run ids. */
  tick(): Promise<string[]>;
  /** Wait for the runs this process is executing. */
  idle(): Promise<void>;
}

const ITEM_BATCH = 1_000;

/** A MISP feed is pulled whole (and what it no longer lists expired) at least this often. */
const MISP_FULL_EVERY_MS = 24 * 3_600_000;

/**
 * A MISP feed's cursor: `<since> <fullAt>`, the newest event timestamp (MISP's epoch seconds,
 * from the manifest, so the two clocks are never compared) the last good run saw, and when the
 * last full pull was (epoch ms). Anything else (never pulled, an old row) means a full pull.
 */
function mispCursor(cursor: string | null): { since: number; fullAt: number } | null {
  const m = /^(\d+) (\d+)$/.exec(cursor ?? '');
  return m ? { since: Number(m[1]), fullAt: Number(m[2]) } : null;
}

/** Progress of one run, written to its row while it runs. */
class Progress {
  parsed = 0;
  bytes = 0;
  skipped = 0;
  /** Items whose TLP label was no known level (stored at the feed's TLP or stricter). */
  tlpUnrecognised = 0;
  samples: Skipped[] = [];
  objects: IntelObject[] = [];
  /** Distinct objects read (one MISP feed may name a galaxy in every event). */
  get objectCount(): number {
    return new Set(this.objects.map((o) => o.id)).size;
  }
  skip(s: Skipped): void {
    this.skipped++;
    // Samples are stored as jsonb, which holds no NUL or lone surrogate: a feed may contain them.
    if (this.samples.length < MAX_SAMPLES) this.samples.push({ ...s, text: safeText(s.text), reason: safeText(s.reason) });
  }
}

async function* counted(body: AsyncIterable<Uint8Array>, progress: Progress): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    progress.bytes += chunk.length;
    yield chunk;
  }
}

/**
 * Parse events → store items: feed defaults, the `types` filter, objects and skips collected.
 * Throws at the end (so the run's transaction rolls back) when the body was truncated or nothing
 * in it parsed although something was there.
 */
async function* itemsOf(events: AsyncIterable<ParseEvent>, feed: FeedRow, progress: Progress): AsyncGenerator<StoreItem[]> {
  const types = feed.types ? new Set(feed.types) : null;
  // Handed on in batches: one promise turn per thousand items, not per item.
  let batch: StoreItem[] = [];
  for await (const e of events) {
    if (e.skipped) progress.skip(e.skipped);
    else if (e.object) progress.objects.push(e.object);
    else if (e.item) {
      if (types && !types.has(e.item.type)) continue;
      progress.parsed++;
      if (e.item.tlp_unrecognised) {
        progress.tlpUnrecognised++;
        const { tlp_unrecognised: _unrecognised, ...item } = e.item;
        batch.push({ ...item, tlp: floorTlp(e.item, feed.tlp as Tlp) });
      } else batch.push(e.item);
      if (batch.length === ITEM_BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
  // A body that is not what the format says, or a document cut short, must not replace (and, for
  // a complete list, expire) what the feed gave before: failing here rolls the run back.
  const truncated = progress.samples.find((x) => /truncated/i.test(x.reason));
  if (truncated) throw new Error(`the feed looks truncated (${truncated.reason}); the previous data is kept`);
  // Objects count as content: an ATT&CK bundle gives no indicators, only objects (and skips
  // its revoked and deprecated ones).
  if (progress.parsed === 0 && progress.objects.length === 0 && progress.skipped > 0) {
    throw new Error(
      `nothing in the feed parsed as ${feed.format} (${progress.skipped} skipped; first: ${progress.samples[0]?.reason ?? 'unknown'}); the previous data is kept`,
    );
  }
}

export function createFeedRunner(opts: FeedRunnerOptions): FeedRunner {
  const { sql, logger } = opts;
  const active = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const controller = new AbortController();

  async function claim(feedId: string): Promise<RunRow | null> {
    const [row] = await sql<RunRow[]>`
      INSERT INTO intel_feed_runs (id, feed_id, state, started_at, updated_at) VALUES (${newId()}, ${feedId}, 'running', now(), now())
      ON CONFLICT DO NOTHING RETURNING *`;
    return row ?? null;
  }

  async function feedOf(id: string): Promise<FeedRow> {
    const [feed] = await sql<FeedRow[]>`SELECT * FROM intel_feeds WHERE id = ${id}`;
    if (!feed) throw new Error('the feed was deleted');
    return feed;
  }

  async function authHeaders(feed: FeedRow): Promise<Record<string, string>> {
    const name = feed.options['auth_secret'];
    if (typeof name !== 'string' || !opts.secret) return {};
    const value = await opts.secret(name);
    if (value === null) throw new Error(`the named secret "${name}" is not set`);
    return { authorization: value };
  }

  async function writeProgress(runId: string, p: Progress, bytesTotal: number | null): Promise<void> {
    await sql`UPDATE intel_feed_runs SET parsed = ${p.parsed}, objects = ${p.objectCount}, bytes_read = ${p.bytes}, bytes_total = ${bytesTotal}, skipped = ${p.skipped}, tlp_unrecognised = ${p.tlpUnrecognised},
      skipped_samples = ${sql.json(p.samples as never)}, updated_at = now() WHERE id = ${runId} AND state = 'running'`;
  }

  async function storeObjects(objects: IntelObject[]): Promise<void> {
    for (const o of objects) {
      await sql`INSERT INTO intel_objects (id, kind, name, external_id, data) VALUES (${o.id}, ${o.kind}, ${o.name}, ${o.external_id}, ${sql.json(o.data as never)})
        ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, external_id = EXCLUDED.external_id, data = EXCLUDED.data`;
    }
  }

  /** Execute a claimed run: fetch/parse/ingest, then record the outcome on the row. */
  async function execute(
    run: RunRow,
    source: (
      feed: FeedRow,
      p: Progress,
      setTotal: (n: number | null) => void,
    ) => Promise<{ events: AsyncIterable<ParseEvent>; complete: boolean; after?: () => Promise<void> } | 'not_modified'>,
  ): Promise<FeedRun> {
    const progress = new Progress();
    let bytesTotal: number | null = null;
    let writing = Promise.resolve();
    const beat = setInterval(() => {
      writing = writing
        .then(() => writeProgress(run.id, progress, bytesTotal))
        .catch((e: unknown) => logger.warn({ err: e, run: run.id }, 'feed progress write failed'));
    }, opts.progressMs ?? 500);
    try {
      const feed = await feedOf(run.feed_id);
      const got = await source(feed, progress, (n) => (bytesTotal = n));
      if (got === 'not_modified') {
        clearInterval(beat);
        await writing;
        const [row] = await sql<
          RunRow[]
        >`UPDATE intel_feed_runs SET state = 'not_modified', finished_at = now(), bytes_read = ${progress.bytes}, updated_at = now() WHERE id = ${run.id} RETURNING *`;
        return toFeedRun(row ?? run);
      }
      // Milliseconds per store phase (staging includes reading and parsing the feed), logged
      // with the outcome: where a slow run spent its time.
      const phases: Record<string, number> = {};
      const result = await ingest(
        sql,
        { feedId: feed.id, source: `feed:${feed.id}`, confidence: feed.default_confidence, tlp: feed.tlp, runId: run.id, complete: got.complete },
        itemsOf(got.events, feed, progress),
        { onPhase: (name, ms) => (phases[name] = Math.round((phases[name] ?? 0) + ms)) },
      );
      await storeObjects(progress.objects);
      await got.after?.();
      clearInterval(beat);
      await writing;
      const [row] = await sql<RunRow[]>`
        UPDATE intel_feed_runs SET state = 'succeeded', finished_at = now(), updated_at = now(), parsed = ${progress.parsed}, objects = ${progress.objectCount}, bytes_read = ${progress.bytes},
          bytes_total = ${bytesTotal}, added = ${result.added}, updated = ${result.updated}, expired = ${result.expired}, skipped = ${progress.skipped},
          skipped_samples = ${sql.json(progress.samples as never)}, tlp_unrecognised = ${progress.tlpUnrecognised}
        WHERE id = ${run.id} RETURNING *`;
      const retro = retroRanges(result);
      if (retro) await opts.onAdded(retro).catch((e: unknown) => logger.error({ err: e, feed: feed.id }, 'retrospective search after a feed run failed'));
      logger.info(
        {
          feed: feed.id,
          run: run.id,
          objects: progress.objectCount,
          added: result.added,
          revived: result.revived,
          updated: result.updated,
          expired: result.expired,
          skipped: progress.skipped,
          tlp_unrecognised: progress.tlpUnrecognised,
          phases,
        },
        'feed run succeeded',
      );
      return toFeedRun(row ?? run);
    } catch (e) {
      clearInterval(beat);
      await writing;
      const message = e instanceof Error ? e.message : String(e);
      logger.warn({ run: run.id, feed: run.feed_id, err: message }, 'feed run failed');
      const [row] = await sql<RunRow[]>`
        UPDATE intel_feed_runs SET state = 'failed', finished_at = now(), updated_at = now(), error = ${message.slice(0, 2_000)}, parsed = ${progress.parsed}, objects = ${progress.objectCount},
          bytes_read = ${progress.bytes}, bytes_total = ${bytesTotal}, skipped = ${progress.skipped}, skipped_samples = ${sql.json(progress.samples as never)}
        WHERE id = ${run.id} RETURNING *`;
      return toFeedRun(row ?? run);
    }
  }

  /** The pull source of each format. */
  async function pull(feed: FeedRow, progress: Progress, setTotal: (n: number | null) => void) {
    if (!feed.url) throw new Error('a push feed has no URL to pull');
    const auth = await authHeaders(feed);
    const options = feed.options as FeedOptions;
    if (feed.format === 'taxii') {
      let cursor: string | null = feed.cursor;
      const objects = fetchTaxiiObjects(
        {
          url: feed.url,
          collection: options.collection,
          addedAfter: feed.cursor ?? undefined,
          auth: auth['authorization'],
          fetch: guardedFetch(opts.guard),
          signal: controller.signal,
        },
        (page) => {
          if (page.dateAddedLast) cursor = page.dateAddedLast;
        },
      );
      return {
        events: parseStixObjects(objects),
        complete: false,
        after: () => sql`UPDATE intel_feeds SET cursor = ${cursor} WHERE id = ${feed.id}`.then(() => undefined),
      };
    }
    if (feed.format === 'misp') {
      const manifestRes = await guardedGet(mispManifestUrl(feed.url), auth, opts.guard, controller.signal);
      if (manifestRes.status !== 200) throw new Error(`the MISP manifest answered HTTP ${manifestRes.status}`);
      let manifestText = '';
      for await (const chunk of counted(manifestRes.body, progress)) manifestText += Buffer.from(chunk).toString('utf8');
      const manifest = JSON.parse(manifestText) as unknown;
      const state = mispCursor(feed.cursor);
      const now = Date.now();
      // Only events changed since the last good run; a full pull (which expires what the feed no
      // longer lists) on the first run and at least once a day.
      const full = state === null || now - state.fullAt >= MISP_FULL_EVERY_MS;
      const events = mispEventUrls(feed.url, manifest, full ? undefined : state.since);
      const since = mispEventUrls(feed.url, manifest).reduce((n, e) => Math.max(n, e.timestamp ?? 0), state?.since ?? 0);
      async function* all(): AsyncGenerator<ParseEvent> {
        for (const ev of events) {
          const res = await guardedGet(ev.url, auth, opts.guard, controller.signal);
          if (res.status !== 200) throw new Error(`MISP event ${ev.uuid} answered HTTP ${res.status}`);
          yield* parseFeed('misp', options, counted(res.body, progress));
        }
      }
      const cursor = `${since} ${full ? now : (state?.fullAt ?? now)}`;
      return { events: all(), complete: full, after: () => sql`UPDATE intel_feeds SET cursor = ${cursor} WHERE id = ${feed.id}`.then(() => undefined) };
    }
    const conditional: Record<string, string> = {};
    if (feed.etag) conditional['if-none-match'] = feed.etag;
    if (feed.last_modified) conditional['if-modified-since'] = feed.last_modified;
    const res = await guardedGet(feed.url, { ...auth, ...conditional }, opts.guard, controller.signal);
    if (res.status === 304) {
      for await (const chunk of res.body) progress.bytes += chunk.length;
      return 'not_modified' as const;
    }
    if (res.status !== 200) {
      for await (const chunk of res.body) void chunk;
      throw new Error(`the feed answered HTTP ${res.status}`);
    }
    setTotal(res.length);
    const etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
    const lastModified = typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'] : null;
    return {
      events: parseFeed(feed.format, options, counted(res.body, progress)),
      complete: true,
      after: () => sql`UPDATE intel_feeds SET etag = ${etag}, last_modified = ${lastModified} WHERE id = ${feed.id}`.then(() => undefined),
    };
  }

  function background(run: RunRow): void {
    const p = execute(run, pull).then(
      () => undefined,
      (e: unknown) => logger.error({ err: e, run: run.id }, 'feed run crashed'),
    );
    active.add(p);
    void p.finally(() => active.delete(p));
  }

  async function sweep(): Promise<void> {
    const staleMs = opts.staleMs ?? 120_000;
    await sql`UPDATE intel_feed_runs SET state = 'failed', finished_at = now(), error = 'abandoned: the process running it stopped'
      WHERE state IN ('queued', 'running') AND updated_at < now() - ${staleMs / 1000} * interval '1 second'`;
  }

  async function tick(): Promise<string[]> {
    await sweep();
    const due = await sql<{ id: string }[]>`
      UPDATE intel_feeds f SET next_run_at = now() + f.schedule_minutes * interval '1 minute'
      WHERE f.id IN (
        SELECT id FROM intel_feeds WHERE enabled AND url IS NOT NULL AND (next_run_at IS NULL OR next_run_at <= now())
        FOR UPDATE SKIP LOCKED
      ) RETURNING f.id`;
    const started: string[] = [];
    for (const { id } of due) {
      const run = await claim(id);
      if (!run) continue;
      started.push(run.id);
      background(run);
    }
    return started;
  }

  return {
    start() {
      const loop = (): void => {
        if (stopped) return;
        tick()
          .catch((e: unknown) => logger.error({ err: e }, 'feed scheduler tick failed'))
          .finally(() => {
            if (!stopped) timer = setTimeout(loop, opts.tickMs ?? 15_000);
          });
      };
      timer = setTimeout(loop, 1_000);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller.abort(new Error('the server is shutting down'));
      await Promise.allSettled([...active]);
    },
    async runNow(feedId) {
      const run = await claim(feedId);
      if (!run) return null;
      background(run);
      return toFeedRun(run);
    },
    async push(feedId, content, bytesTotal) {
      const run = await claim(feedId);
      if (!run) return null;
      return execute(run, async (feed, progress, setTotal) => {
        setTotal(bytesTotal);
        return {
          events: parseFeed(feed.format as BodyFormat, feed.options as FeedOptions, counted(content as AsyncIterable<Uint8Array>, progress)),
          complete: false,
        };
      });
    },
    tick,
    async idle() {
      while (active.size) await Promise.allSettled([...active]);
    },
  };
}

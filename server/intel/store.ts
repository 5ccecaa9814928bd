/**
 * The indicator store's bulk write path: one feed run (or push) → indicators and sightings.
 *
 * Everything happens in ONE transaction, so a failed or truncated run changes nothing already
 * stored: items are streamed with COPY into a temporary staging table while the feed is still
 * being read, then merged under a transaction-level advisory lock (ingests are serialized, across
 * processes): one `UPDATE … FROM staging` for known values (tags/malware/actors/techniques
 * merged, first/last seen widened, the stricter TLP kept) RETURNING into a temp table, from which
 * their sightings are upserted without a join; then one sorted plain `INSERT … SELECT` for new
 * ones (no speculative ON CONFLICT insert: the lock rules out a concurrent insert) whose
 * RETURNING writes their first sightings in the same statement (per source: confidence,
 * first/last seen, run id). Sightings have no foreign keys (per-row FK triggers cost 4× the
 * insert itself); feed deletion removes its sightings explicitly (feeds.ts).
 *
 * Expiry (complete runs only — a pulled feed is its whole list): sightings of this source whose
 * last run is not this one are marked `expired_at`; they stay as history but no longer count in
 * base_confidence. An indicator with no live sighting keeps its row (searchable) with base 0, so
 * its score is 0 and it is neither matched nor blocked. A later listing revives the sighting.
 * Push feeds and TAXII `added_after` pulls are increments and expire nothing.
 *
 * Revival: an indicator that was stored but not active before this run (all its sightings
 * expired, decayed past its lifetime, or past valid_until) and is active after it is "revived";
 * its ids are handed to the retrospective search with the new ones (`revivedRanges`), since past
 * alerts and incidents may carry it while it did not count.
 *
 * base_confidence = noisy-OR of the live sightings (shared/intel-api.ts combinedConfidence),
 * recomputed for every indicator this run updated or expired; a new indicator has one sighting,
 * so its base is that sighting's confidence. Duplicate values inside one run are merged in
 * memory first and applied as a second pass (one statement may change a row only once).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IndicatorType } from '../../shared/intel-api.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { scoredIndicatorsSql } from './lookup.ts';
import { LOCKS } from '../db/locks.ts';

/** One normalized indicator as a parser yields it (value already canonical). */
export interface StoreItem {
  type: IndicatorType;
  value: string;
  /** 0-100; default the source's confidence. */
  confidence?: number | null;
  first_seen?: Date | string | null;
  last_seen?: Date | string | null;
  valid_until?: Date | string | null;
  tlp?: string | null;
  tags?: readonly string[];
  malware?: readonly string[];
  actors?: readonly string[];
  techniques?: readonly string[];
}

export interface IngestSource {
  /** The feed (null for a manual source). */
  feedId: string | null;
  /** Sighting key: `feed:<id>` for feeds. */
  source: string;
  /** Default confidence and TLP of the source. */
  confidence: number;
  tlp: string;
  /** The run recorded on the sightings (expiry compares it). */
  runId: string | null;
  /** The items are the source's complete list: expire what it no longer lists. */
  complete: boolean;
}

export interface IngestResult {
  added: number;
  updated: number;
  expired: number;
  /** Items written (after merging duplicates). */
  written: number;
  /** The ids this run created, for the retrospective search (null when it created none). */
  addedRange: AddedRange | null;
  /** Indicators that were inactive before this run and are active after it, as runs of consecutive ids. */
  revivedRanges: AddedRange[];
  /** How many indicators those ranges hold. */
  revived: number;
}

/**
 * The indicators one run created: every id from `from` to `to`. Ingests are serialized (the
 * advisory lock below) and this is the only insert into `indicators`, so no other run's ids fall
 * in between; a range stays two numbers where a million-row feed would otherwise hand a million
 * ids to the retrospective search.
 */
export interface AddedRange {
  from: number;
  to: number;
}

/**
 * The ids a retrospective search looks at after a run: `from`..`to` and each range of `more`
 * (the ids the run created, then the ones it revived).
 */
export interface RetroRanges extends AddedRange {
  more?: readonly AddedRange[];
}

/** The new and revived ids of a run as one RetroRanges, or null when there are none. */
export function retroRanges(result: Pick<IngestResult, 'addedRange' | 'revivedRanges'>): RetroRanges | null {
  const all = [...(result.addedRange ? [result.addedRange] : []), ...result.revivedRanges];
  const [first, ...more] = all;
  if (!first) return null;
  return more.length ? { ...first, more } : first;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; `\N` is NULL. */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

function copyArray(a: readonly string[] | undefined): string {
  if (!a || a.length === 0) return '\\N';
  return copyText(`{${a.map((x) => `"${x.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
}

function copyTime(t: Date | string | null | undefined): string {
  if (t === null || t === undefined || t === '') return '\\N';
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? '\\N' : d.toISOString();
}

function copyRow(it: StoreItem): string {
  const conf =
    it.confidence === null || it.confidence === undefined || !Number.isFinite(it.confidence) ? '\\N' : String(Math.min(100, Math.max(0, it.confidence)));
  return `${it.type}\t${copyText(it.value)}\t${conf}\t${copyTime(it.first_seen)}\t${copyTime(it.last_seen)}\t${copyTime(it.valid_until)}\t${it.tlp ? copyText(it.tlp) : '\\N'}\t${copyArray(it.tags)}\t${copyArray(it.malware)}\t${copyArray(it.actors)}\t${copyArray(it.techniques)}\n`;
}

const union = (a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined =>
  b?.length ? [...new Set([...(a ?? []), ...b])] : a ? [...a] : undefined;
const later = (a: StoreItem['last_seen'], b: StoreItem['last_seen'], pick: (x: number, y: number) => number): StoreItem['last_seen'] => {
  if (!a) return b;
  if (!b) return a;
  return new Date(pick(new Date(a).getTime(), new Date(b).getTime()));
};

/** Merge a repeated value into the first one seen in this run. */
function mergeInto(into: StoreItem, it: StoreItem): StoreItem {
  return {
    ...into,
    confidence: Math.max(into.confidence ?? -1, it.confidence ?? -1) < 0 ? null : Math.max(into.confidence ?? -1, it.confidence ?? -1),
    first_seen: later(into.first_seen, it.first_seen, Math.min),
    last_seen: later(into.last_seen, it.last_seen, Math.max),
    valid_until: into.valid_until && it.valid_until ? later(into.valid_until, it.valid_until, Math.max) : null,
    tags: union(into.tags, it.tags),
    malware: union(into.malware, it.malware),
    actors: union(into.actors, it.actors),
    techniques: union(into.techniques, it.techniques),
  };
}

/** Rows per COPY chunk handed to the socket. */
const CHUNK_ROWS = 2_000;

/**
 * What ingest takes: items one by one, or (a feed run) in batches, which spares a million-line
 * feed a million promise turns on the way to the COPY.
 */
export type StoreItems = AsyncIterable<StoreItem | readonly StoreItem[]> | Iterable<StoreItem>;

/**
 * Streams `items` through a COPY into staging; duplicates of a value are held back in `repeats`
 * and merged into the staged row afterwards.
 */
async function stage(tx: TransactionSql, items: StoreItems, repeats: Map<string, StoreItem>): Promise<number> {
  // Per type, the values already staged (no per-item key string: a million-line list would
  // otherwise build a million more strings for the collector).
  const seen = new Map<string, Set<string>>();
  let count = 0;
  async function* rows(): AsyncGenerator<string> {
    let buf = '';
    let n = 0;
    for await (const got of items) {
      for (const it of isBatch(got) ? got : [got]) {
        let ofType = seen.get(it.type);
        if (!ofType) seen.set(it.type, (ofType = new Set()));
        if (ofType.has(it.value)) {
          const key = `${it.type} ${it.value}`;
          const prev = repeats.get(key);
          repeats.set(key, prev ? mergeInto(prev, it) : it);
          continue;
        }
        ofType.add(it.value);
        buf += copyRow(it);
        count++;
        if (++n === CHUNK_ROWS) {
          yield buf;
          buf = '';
          n = 0;
        }
      }
    }
    if (buf) yield buf;
  }
  const writable = await tx`COPY intel_stage FROM STDIN`.writable();
  await pipeline(Readable.from(rows()), writable);
  return count;
}

const isBatch = (x: StoreItem | readonly StoreItem[]): x is readonly StoreItem[] => Array.isArray(x);

const STAGE_TABLE = (tx: TransactionSql) => tx`
  CREATE TEMP TABLE intel_stage (type text NOT NULL, value text NOT NULL, confidence real, first_seen timestamptz, last_seen timestamptz,
    valid_until timestamptz, tlp text, tags text[], malware text[], actors text[], techniques text[]) ON COMMIT DROP`;

/** TLP order: the stricter of two labels wins a merge. */
const TLP_ORDER = `ARRAY['clear','green','amber','amber+strict','red']`;

/** What one merge pass created: how many, and their ids (see AddedRange). */
interface Inserted {
  added: number;
  range: AddedRange | null;
}

async function mergeStage(tx: TransactionSql, src: IngestSource, now: Date, phase: (name: string) => void): Promise<Inserted> {
  const merged = (col: string) =>
    tx.unsafe(`CASE WHEN s.${col} IS NULL THEN i.${col} ELSE ARRAY(SELECT DISTINCT x FROM unnest(i.${col} || s.${col}) x ORDER BY x) END`);
  const tlpOrder = tx.unsafe(TLP_ORDER);
  // Known values: widen and merge in place; RETURNING carries this source's sighting values.
  const known = await tx`
    WITH up AS (
      UPDATE indicators i SET
        tags = ${merged('tags')}, malware = ${merged('malware')}, actors = ${merged('actors')}, techniques = ${merged('techniques')},
        tlp = CASE WHEN array_position(${tlpOrder}, s.tlp) > array_position(${tlpOrder}, i.tlp) THEN s.tlp ELSE i.tlp END,
        first_seen = least(i.first_seen, coalesce(s.first_seen, ${now})),
        last_seen = greatest(i.last_seen, coalesce(s.last_seen, ${now})),
        valid_until = CASE WHEN i.valid_until IS NULL OR s.valid_until IS NULL THEN NULL ELSE greatest(i.valid_until, s.valid_until) END
      FROM intel_stage s WHERE i.type = s.type AND i.value = s.value
      RETURNING i.id, i.type, i.value, coalesce(s.confidence, ${src.confidence}) AS confidence, coalesce(s.first_seen, ${now}) AS first_seen, coalesce(s.last_seen, ${now}) AS last_seen
    )
    INSERT INTO intel_touched SELECT id, type, value, confidence, first_seen, last_seen FROM up`;
  phase('update known');
  if (known.count > 0) {
    await tx`ANALYZE intel_touched`;
    await tx`
    INSERT INTO indicator_sightings AS g (indicator_id, feed_id, source, confidence, first_seen, last_seen, last_run_id)
    SELECT t.id, ${src.feedId}, ${src.source}, t.confidence, t.first_seen, t.last_seen, ${src.runId} FROM intel_touched t
    ON CONFLICT (indicator_id, source) DO UPDATE SET
      confidence = EXCLUDED.confidence, first_seen = least(g.first_seen, EXCLUDED.first_seen), last_seen = greatest(g.last_seen, EXCLUDED.last_seen),
      last_run_id = EXCLUDED.last_run_id, expired_at = NULL`;
    phase('known sightings');
  }
  // New values: one sorted plain INSERT (the ingest lock rules out a concurrent insert of the same
  // value) whose RETURNING feeds their first sighting in the same statement; a new indicator's
  // base confidence is that sighting's. Their ids are numbered here, from one block taken from
  // the sequence (this is the only insert into indicators, and ingests are serialized): a per-row
  // nextval() was a tenth of the insert.
  const [ins] = await tx<{ added: number; from: string | null; to: string | null }[]>`
    WITH base AS (SELECT nextval(pg_get_serial_sequence('indicators', 'id')) - 1 AS n),
    ins AS (
      INSERT INTO indicators (id, type, value, net, tlp, tags, malware, actors, techniques, base_confidence, first_seen, last_seen, valid_until)
      SELECT (SELECT n FROM base) + row_number() OVER (ORDER BY s.type, s.value), s.type, s.value, CASE WHEN s.type = 'cidr' THEN s.value::inet END, coalesce(s.tlp, ${src.tlp}),
        coalesce(s.tags, '{}'), coalesce(s.malware, '{}'), coalesce(s.actors, '{}'), coalesce(s.techniques, '{}'),
        coalesce(s.confidence, ${src.confidence}), coalesce(s.first_seen, ${now}), coalesce(s.last_seen, ${now}), s.valid_until
      FROM intel_stage s
      WHERE NOT EXISTS (SELECT 1 FROM intel_touched t WHERE t.type = s.type AND t.value = s.value)
      ORDER BY s.type, s.value
      RETURNING id, base_confidence, first_seen, last_seen
    ),
    sg AS (
      INSERT INTO indicator_sightings (indicator_id, feed_id, source, confidence, first_seen, last_seen, last_run_id)
      SELECT id, ${src.feedId}, ${src.source}, base_confidence, first_seen, last_seen, ${src.runId} FROM ins
      RETURNING indicator_id
    )
    SELECT count(*)::int AS added, min(indicator_id)::text AS from, max(indicator_id)::text AS to FROM sg`;
  const added = ins?.added ?? 0;
  // The block is as long as what was inserted: the sequence moves past its end.
  if (added > 0) await tx`SELECT setval(pg_get_serial_sequence('indicators', 'id'), ${ins?.to ?? '0'}::bigint)`;
  phase('insert new + sightings');
  return { added, range: added > 0 ? { from: Number(ins?.from), to: Number(ins?.to) } : null };
}

/** Ingest one source's items; see the header for the transaction, merge and expiry rules. */
export async function ingest(
  sql: Sql,
  src: IngestSource,
  items: StoreItems,
  opts: {
    now?: Date;
    /** Called with each phase's duration in ms (profiling; the feed runner logs them at debug). */ onPhase?: (phase: string, ms: number) => void;
  } = {},
): Promise<IngestResult> {
  const now = opts.now ?? new Date();
  let mark = performance.now();
  const phase = (name: string): void => {
    const t = performance.now();
    opts.onPhase?.(name, t - mark);
    mark = t;
  };
  return sql.begin(async (tx) => {
    await tx`SET LOCAL work_mem = '128MB'`;
    await STAGE_TABLE(tx);
    await tx`
      CREATE TEMP TABLE intel_touched (id bigint NOT NULL, type text NOT NULL, value text NOT NULL,
        confidence real NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL) ON COMMIT DROP`;
    await tx`CREATE TEMP TABLE intel_recount (id bigint PRIMARY KEY) ON COMMIT DROP`;
    await tx`CREATE TEMP TABLE intel_dormant (id bigint PRIMARY KEY) ON COMMIT DROP`;
    const repeats = new Map<string, StoreItem>();
    phase('setup');
    const written = await stage(tx, items, repeats);
    phase('stage');
    await tx`ANALYZE intel_stage`;
    // Taken after staging: a slow download does not hold up other feeds' merges.
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.intelIngest})`;
    // Stored values this run lists that do not count now: if they count after it, they are revived.
    // (Repeats in the second pass are values of this first pass, so it covers every value.)
    // The listed ids first, by a join the planner estimates from the analyzed staging table:
    // asked inside the scoring query, it expected one row and probed the index once per listed
    // value in feed order (13 s for a re-listing of a million, against 2 s this way).
    await tx`CREATE TEMP TABLE intel_listed ON COMMIT DROP AS SELECT i.id FROM indicators i JOIN intel_stage s ON s.type = i.type AND s.value = i.value`;
    await tx`ANALYZE intel_listed`;
    await tx`
      WITH ${scoredIndicatorsSql(tx, now, tx`i.id IN (SELECT id FROM intel_listed)`)}
      INSERT INTO intel_dormant SELECT id FROM scored WHERE NOT active`;
    phase('lock+dormant');
    const inserted = await mergeStage(tx, src, now, phase);
    if (repeats.size > 0) {
      // Second pass: the merged repeats meet their first occurrence as known values. What the
      // first pass updated is kept aside, so the counts say what this run did to each value once.
      await tx`TRUNCATE intel_stage`;
      await stage(tx, repeats.values(), new Map());
      await tx`CREATE TEMP TABLE intel_first ON COMMIT DROP AS SELECT * FROM intel_touched`;
      await tx`TRUNCATE intel_touched`;
      await mergeStage(tx, src, now, phase);
      await tx`INSERT INTO intel_recount SELECT id FROM intel_touched ON CONFLICT DO NOTHING`;
      await tx`DELETE FROM intel_touched`;
      await tx`INSERT INTO intel_touched SELECT * FROM intel_first`;
    }
    let expired = 0;
    if (src.complete && src.runId) {
      const ex = await tx`
        WITH ex AS (
          UPDATE indicator_sightings SET expired_at = ${now}
          WHERE source = ${src.source} AND expired_at IS NULL AND last_run_id IS DISTINCT FROM ${src.runId}
          RETURNING indicator_id
        ) INSERT INTO intel_recount SELECT indicator_id FROM ex ON CONFLICT DO NOTHING`;
      expired = ex.count;
    }
    phase('expire');
    await tx`INSERT INTO intel_recount SELECT id FROM intel_touched ON CONFLICT DO NOTHING`;
    await tx`
      UPDATE indicators i SET base_confidence = c.base
      FROM (
        SELECT r.id, 100 * (1 - exp(coalesce(sum(ln(greatest(1e-9, 1 - least(100, greatest(0, g.confidence)) / 100.0))) FILTER (WHERE g.expired_at IS NULL), 0))) AS base
        FROM intel_recount r JOIN indicator_sightings g ON g.indicator_id = r.id
        GROUP BY r.id
      ) c
      WHERE i.id = c.id AND i.base_confidence IS DISTINCT FROM c.base::real`;
    phase('recount');
    const [counts] = await tx<{ updated: number }[]>`SELECT count(*)::int AS updated FROM intel_touched`;
    // Revived: dormant before, active now; consecutive ids grouped into ranges (gaps and islands).
    const revivedRanges = await tx<{ from: number; to: number; n: number }[]>`
      WITH ${scoredIndicatorsSql(tx, now, tx`i.id IN (SELECT id FROM intel_dormant)`)}
      SELECT min(id) AS from, max(id) AS to, count(*)::int AS n
      FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS island FROM scored WHERE active) r
      GROUP BY island ORDER BY min(id)`;
    phase('revived');
    return {
      added: inserted.added,
      updated: counts?.updated ?? 0,
      expired,
      written,
      addedRange: inserted.range,
      revivedRanges: revivedRanges.map((r) => ({ from: Number(r.from), to: Number(r.to) })),
      revived: revivedRanges.reduce((n, r) => n + r.n, 0),
    };
  });
}

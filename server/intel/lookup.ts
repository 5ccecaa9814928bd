/**
 * Indicator lookups: raw values in (defanged or not), per value its detected type, canonical
 * form and the indicators it matches, each with its decayed score (the shared formula of
 * shared/intel-api.ts, computed in SQL at read time), active flag and source names.
 *
 * Matching: exact (type, value) through the unique index; an IP or a CIDR range also matches the
 * wider CIDR ranges containing it (`net >>= ip`, GiST), as the device's offline lookup does; a
 * URL also matches its host as a domain indicator. A whole bulk request (≤ 10,000 values) is one
 * statement over unnested arrays. Never-public addresses and the allow-list match nothing
 * (ignored.ts), on either side.
 */
import type { z } from 'zod';
import { INDICATOR_TYPES, type IndicatorType, type lookupResult } from '../../shared/intel-api.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { ignoredReason, loadAllowed } from './ignored.ts';
import { detect } from '../../shared/indicator-normalize.ts';
import { decayModelsSql, scoreSql } from './scoring-sql.ts';

type Q = Sql | TransactionSql;
export type Fragment = ReturnType<Sql>;
export type LookupResult = z.infer<typeof lookupResult>;
export type IndicatorMatch = LookupResult['matches'][number];

/**
 * A CTE `scored`: the indicators `where` selects (a condition on `i`), with `score` at `now`
 * (migration 009 `intel_score`, equal to shared/intel-api.ts decayedScore) and `active` (score ≥
 * the type's threshold and not past valid_until). Put it last in a WITH list.
 */
export function scoredIndicatorsSql(sql: Q, now: Date, where: Fragment): Fragment {
  return sql`scored AS (
      SELECT i.id, i.type, i.value, i.tlp, i.tags, i.malware, i.actors, i.techniques, i.base_confidence::float8 AS base_confidence,
             i.first_seen, i.last_seen, sc.score,
             (sc.score >= m.threshold AND (i.valid_until IS NULL OR i.valid_until > ${now})) AS active
      FROM indicators i
      JOIN ${decayModelsSql(sql)} m ON m.type = i.type
      CROSS JOIN LATERAL (SELECT ${scoreSql(sql, now)} AS score) sc
      WHERE ${where}
    )`;
}

/** What a value is, as the store keys it. */
export interface Detected {
  type: IndicatorType;
  canonical: string;
  /** IPs (and CIDR values): the inet text for containment. */
  net: string | null;
  /** URLs: their host, also looked up as a domain. */
  host: string | null;
}

export function detectValue(raw: string): Detected | null {
  const d = detect(raw);
  if (!d || !(INDICATOR_TYPES as readonly string[]).includes(d.type)) return null;
  const type = d.type as IndicatorType;
  // A range is looked up inside the wider ranges that contain it, as the device's copy does.
  const net = type === 'ipv4' || type === 'ipv6' || type === 'cidr' ? d.value : null;
  let host: string | null = null;
  if (type === 'url') {
    try {
      const h = new URL(d.value).hostname.toLowerCase();
      host = h && !h.startsWith('[') && !/^\d+(\.\d+){3}$/.test(h) ? h : null;
    } catch {
      host = null;
    }
  }
  return { type, canonical: d.value, net, host };
}

/** An indicator row as the reads select it (score and active computed in SQL). */
export interface IndicatorRow {
  id: number;
  type: IndicatorType;
  value: string;
  score: number;
  active: boolean;
  base_confidence: number;
  first_seen: Date;
  last_seen: Date;
  tlp: string;
  tags: string[];
  malware: string[];
  actors: string[];
  techniques: string[];
}

interface MatchRow extends IndicatorRow {
  q: number;
  source_names: string[] | null;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function toMatch(r: Omit<MatchRow, 'q'>): IndicatorMatch {
  return {
    id: r.id,
    type: r.type,
    value: r.value,
    score: round2(r.score),
    active: r.active,
    base_confidence: round2(r.base_confidence),
    first_seen: r.first_seen.toISOString(),
    last_seen: r.last_seen.toISOString(),
    tlp: r.tlp as IndicatorMatch['tlp'],
    tags: r.tags,
    malware: r.malware,
    actors: r.actors,
    techniques: r.techniques,
    // Two feeds may share a name: each name once.
    source_names: r.source_names && r.source_names.length > 1 ? [...new Set(r.source_names)].sort() : (r.source_names ?? []),
  };
}

/** Keys per statement when a large lookup is split across connections. */
const PART_KEYS = 2_500;
/** At most this many statements of one lookup at a time (the lookup pool has 4 connections). */
const MAX_PARTS = 4;

/**
 * Matching indicators of already-detected keys, grouped by key position. `activeOnly` drops
 * indicators below their type's threshold (matching on arrival, retrospective search). A key or
 * an indicator that `ignoredReason` names (never public, allow-listed) matches nothing.
 *
 * Thousands of keys are one statement per 2,500, run side by side on the pool's connections:
 * a statement is one backend on one core, and the index probes are what a bulk lookup costs
 * (10,000 values: ~250 → ~150 ms on two cores). Inside a transaction there is one connection,
 * so the parts run in turn.
 */
export async function matchDetected(sql: Q, keys: readonly Detected[], opts: { now?: Date; activeOnly?: boolean } = {}): Promise<IndicatorMatch[][]> {
  // Never-public and allow-listed values give no hit either way round (ignored.ts): neither as
  // what is looked up nor as the indicator found (a 10.0.0.0/8 that FireHOL lists).
  const inTransaction = 'savepoint' in sql;
  const [allowed, found] = inTransaction
    ? [await loadAllowed(sql), await matchAll(sql, keys, opts)]
    : await Promise.all([loadAllowed(sql), matchAll(sql, keys, opts)]);
  return found.map((matches, i) => {
    const k = keys[i];
    if (!k || ignoredReason({ type: k.type, value: k.canonical }, allowed)) return [];
    return matches.filter((m) => ignoredReason(m, allowed) === null);
  });
}

async function matchAll(sql: Q, keys: readonly Detected[], opts: { now?: Date; activeOnly?: boolean }): Promise<IndicatorMatch[][]> {
  if (keys.length <= PART_KEYS) return matchPart(sql, keys, opts);
  // One clock for every part: a score must not depend on which part looked it up.
  opts = { ...opts, now: opts.now ?? new Date() };
  const parts = Math.min(MAX_PARTS, Math.ceil(keys.length / PART_KEYS));
  const size = Math.ceil(keys.length / parts);
  const slices = Array.from({ length: parts }, (_, i) => keys.slice(i * size, (i + 1) * size));
  const inTransaction = 'savepoint' in sql;
  const results: IndicatorMatch[][][] = [];
  if (inTransaction) for (const slice of slices) results.push(await matchPart(sql, slice, opts));
  else results.push(...(await Promise.all(slices.map((slice) => matchPart(sql, slice, opts)))));
  return results.flat();
}

async function matchPart(sql: Q, keys: readonly Detected[], opts: { now?: Date; activeOnly?: boolean }): Promise<IndicatorMatch[][]> {
  const out: IndicatorMatch[][] = keys.map(() => []);
  if (keys.length === 0) return out;
  const now = opts.now ?? new Date();
  const types = keys.map((k) => k.type);
  const values = keys.map((k) => k.canonical);
  const nets = keys.map((k) => k.net ?? '');
  const hosts = keys.map((k) => k.host ?? '');
  // The three ways of matching give disjoint rows (exact; domain for a URL's host; the cidr rows,
  // the only rows with `net`, containing an address or a range other than the range itself), so
  // UNION ALL needs no de-duplication, and each indicator row is read once, by the index that found it.
  const query = (q: Q) => q<MatchRow[]>`
    WITH q AS (
      SELECT (q.i - 1)::int AS q, q.type, q.value, nullif(q.net, '')::inet AS net, nullif(q.host, '') AS host
      FROM unnest(${types}::text[], ${values}::text[], ${nets}::text[], ${hosts}::text[]) WITH ORDINALITY AS q(type, value, net, host, i)
    ),
    hit AS (
      SELECT q.q, i.* FROM q JOIN indicators i ON i.type = q.type AND i.value = q.value
      UNION ALL
      SELECT q.q, i.* FROM q JOIN indicators i ON q.host IS NOT NULL AND i.type = 'domain' AND i.value = q.host
      UNION ALL
      SELECT q.q, i.* FROM q JOIN indicators i ON q.net IS NOT NULL AND i.net >>= q.net AND NOT (i.type = q.type AND i.value = q.value)
    )
    SELECT * FROM (
      SELECT i.q, i.id, i.type, i.value, i.tlp, i.tags, i.malware, i.actors, i.techniques, i.base_confidence::float8 AS base_confidence,
             i.first_seen, i.last_seen, sc.score, (sc.score >= m.threshold AND (i.valid_until IS NULL OR i.valid_until > ${now})) AS active,
             (SELECT array_agg(coalesce(f.name, g.source)) FROM indicator_sightings g LEFT JOIN intel_feeds f ON f.id = g.feed_id
               WHERE g.indicator_id = i.id AND g.expired_at IS NULL) AS source_names
      FROM hit i JOIN ${decayModelsSql(q)} m ON m.type = i.type
      CROSS JOIN LATERAL (SELECT ${scoreSql(q, now)} AS score) sc
    ) x
    ${opts.activeOnly ? q`WHERE x.active` : q``}
    ORDER BY x.q, x.score DESC`;
  const rows = await query(sql);
  for (const r of rows) out[r.q]?.push(toMatch(r));
  return out;
}

/** Look values up: detection, then one statement for all of them (≤ MAX_BULK_LOOKUP values). */
export async function lookupValues(sql: Q, values: readonly string[], opts: { now?: Date; activeOnly?: boolean } = {}): Promise<LookupResult[]> {
  const detected = values.map(detectValue);
  const keys: Detected[] = [];
  const pos: number[] = [];
  const seen = new Map<string, number>();
  detected.forEach((d, i) => {
    if (!d) return;
    const k = `${d.type}\u0000${d.canonical}`;
    let at = seen.get(k);
    if (at === undefined) {
      at = keys.length;
      seen.set(k, at);
      keys.push(d);
    }
    pos[i] = at;
  });
  const matches = await matchDetected(sql, keys, opts);
  return values.map((value, i) => {
    const d = detected[i];
    return { value, type: d?.type ?? null, canonical: d?.canonical ?? null, matches: d ? (matches[pos[i] as number] ?? []) : [] };
  });
}

/** The intel store as the playbook action intel.lookup sees it (ActionServices.intel). */
export function createIntelLookup(sql: Sql): { lookup(values: string[]): Promise<LookupResult[]> } {
  return { lookup: (values) => lookupValues(sql, values) };
}

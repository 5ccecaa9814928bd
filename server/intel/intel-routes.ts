/**
 * Threat-intel use routes (under /api/v1, incident:read): lookups (one value or up to 10,000),
 * indicator search and detail, the compact snapshot devices keep for offline lookups, an
 * incident's matches, and blocklist exports (`/blocklists/{ip|domain|url|hash}.{txt|csv|stix.json}`
 * for firewalls and proxies, with an API token or a session).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { incidentIdParam } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { BLOCKLIST_NAMES, blocklistQuery, bulkLookupBody, lookupQuery, searchQuery, snapshotQuery, type IndicatorType } from '../../shared/intel-api.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { blocklistEntries, blocklistTypes, renderBlocklist, type BlocklistFormat, type BlocklistName } from './blocklists.ts';
import { ignoredReason, loadAllowed } from './ignored.ts';
import { detectValue, lookupValues, scoredIndicatorsSql, toMatch, type Fragment, type IndicatorRow } from './lookup.ts';

/** GET /indicators counts its matches exactly up to this many; above it, `total` is null. */
const SEARCH_COUNT_CAP = 10_000;

const indicatorIdParam = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
const blocklistParam = z.object({ file: z.string().max(40) });
const BLOCKLIST_FILE = new RegExp(`^(${BLOCKLIST_NAMES.join('|')})\\.(txt|csv|stix\\.json)$`);

interface DetailRow extends IndicatorRow {
  sources: { feed_id: string | null; feed_name: string; first_seen: string; last_seen: string; confidence: number }[] | null;
}

const withSources = (r: DetailRow) => {
  const { source_names: _names, ...m } = toMatch({ ...r, source_names: [] });
  return { ...m, sources: r.sources ?? [] };
};

/**
 * Blocklists and snapshots score every indicator (seconds with a million): firewalls and devices
 * polling the same URL within `ttlMs` get the same answer, unless the store changed meanwhile —
 * the keys include `storeStamp` (the last finished feed run, the feeds, the decay models and the
 * allow-list), so a feed run, a deleted feed or an allow-list change shows at once.
 */
function createAnswerCache(ttlMs: number, maxEntries = 16) {
  const entries = new Map<string, { at: number; answer: Promise<{ body: string; contentType: string; count: number }> }>();
  return (key: string, make: () => Promise<{ body: string; contentType: string; count: number }>) => {
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.answer;
    const answer = make();
    entries.set(key, { at: now, answer });
    answer.catch(() => entries.delete(key));
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return answer;
  };
}

export function createIntelUseRoutes(deps: { sql: Sql; lookupSql?: Sql; cacheMs?: number }): Hono<AuthEnv> {
  const { sql } = deps;
  const lookupSql = deps.lookupSql ?? sql;
  /** What the cached answers depend on, in one cheap query over small tables. */
  async function storeStamp(): Promise<string> {
    const [r] = await sql<{ stamp: string }[]>`
      SELECT concat_ws(':', (SELECT max(finished_at) FROM intel_feed_runs), (SELECT count(*) FROM intel_feeds), (SELECT max(updated_at) FROM intel_feeds),
        (SELECT max(updated_at) FROM intel_decay_models), (SELECT count(*) FROM intel_allowlist), (SELECT max(created_at) FROM intel_allowlist)) AS stamp`;
    return r?.stamp ?? '';
  }
  const app = new Hono<AuthEnv>();
  const cached = createAnswerCache(deps.cacheMs ?? 60_000);
  const sourcesOf = sql`(SELECT jsonb_agg(jsonb_build_object('feed_id', g.feed_id, 'feed_name', coalesce(f.name, g.source),
      'first_seen', to_char(g.first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'last_seen', to_char(g.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'confidence', g.confidence) ORDER BY g.last_seen DESC)
    FROM indicator_sightings g LEFT JOIN intel_feeds f ON f.id = g.feed_id WHERE g.indicator_id = s.id AND g.expired_at IS NULL)`;

  app.get('/indicators/lookup', zValidator('query', lookupQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    return c.json({ items: await lookupValues(lookupSql, [c.req.valid('query').value]) });
  });

  app.post('/indicators/lookup', zValidator('json', bulkLookupBody, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    return c.json({ items: await lookupValues(lookupSql, c.req.valid('json').values) });
  });

  app.get('/indicators/snapshot', zValidator('query', snapshotQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const { min_score, limit } = c.req.valid('query');
    const answer = await cached(`snapshot:${min_score}:${limit}:${await storeStamp()}`, async () => {
      const now = new Date();
      // The score never exceeds the base confidence: rows below min_score are skipped unscored.
      const [listed, allowed] = await Promise.all([
        sql<{ type: IndicatorType; value: string; score: number }[]>`
          WITH ${scoredIndicatorsSql(sql, now, sql`i.base_confidence >= ${min_score}`)}
          SELECT type, value, score FROM scored WHERE active AND score >= ${min_score} ORDER BY score DESC, id LIMIT ${limit}`,
        loadAllowed(sql),
      ]);
      // A device's copy never holds what would never match (never-public ranges, the allow-list).
      const rows = listed.filter((r) => ignoredReason(r, allowed) === null);
      const body = JSON.stringify({ generated_at: now.toISOString(), items: rows.map((r) => [r.type, r.value, Math.round(r.score)]) });
      return { body, contentType: 'application/json; charset=UTF-8', count: rows.length };
    });
    return c.body(answer.body, 200, { 'content-type': answer.contentType });
  });

  app.get('/indicators', zValidator('query', searchQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const q = c.req.valid('query');
    const now = new Date();
    const conds: Fragment[] = [sql`true`];
    if (q.q) {
      const exact = detectValue(q.q);
      const pattern = `%${q.q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      conds.push(exact ? sql`(i.value = ${exact.canonical} OR i.value LIKE ${pattern})` : sql`i.value LIKE ${pattern}`);
    }
    if (q.type) conds.push(sql`i.type = ${q.type}`);
    if (q.tag) conds.push(sql`i.tags @> ARRAY[${q.tag}]::text[]`);
    if (q.feed_id) conds.push(sql`EXISTS (SELECT 1 FROM indicator_sightings g WHERE g.indicator_id = i.id AND g.feed_id = ${q.feed_id})`);
    if (q.min_score !== undefined) conds.push(sql`i.base_confidence >= ${q.min_score}`);
    const where = conds.reduce((a, b) => sql`${a} AND ${b}`);
    const outer: Fragment[] = [sql`true`];
    if (q.min_score !== undefined) outer.push(sql`s.score >= ${q.min_score}`);
    if (q.active) outer.push(sql`s.active = ${q.active === 'true'}`);
    const matching = outer.reduce((a, b) => sql`${a} AND ${b}`);
    if (q.cursor && q.offset > 0) throw new DomainError('bad_request', 'page with cursor or with offset, not both');
    // Newest stored first by id: the primary key, so a page is an index range (keyset paging
    // with `cursor`) and never shifts while feed runs update last_seen. One row more than the
    // page says whether there is a next one.
    const after = q.cursor ? sql`i.id < ${q.cursor}::bigint` : sql`true`;
    // The count (side by side with the page) stops at the cap: an exact count(*) over a million
    // scored rows is what made an unfiltered search take most of a second.
    const [rows, [counted]] = await Promise.all([
      sql<DetailRow[]>`
        WITH ${scoredIndicatorsSql(sql, now, sql`${where} AND ${after}`)},
        page AS (SELECT s.* FROM scored s WHERE ${matching} ORDER BY s.id DESC LIMIT ${q.limit + 1} OFFSET ${q.offset})
        SELECT s.*, ${sourcesOf} AS sources FROM page s ORDER BY s.id DESC`,
      sql<{ n: number }[]>`
        WITH ${scoredIndicatorsSql(sql, now, where)}
        SELECT count(*)::int AS n FROM (SELECT 1 FROM scored s WHERE ${matching} LIMIT ${SEARCH_COUNT_CAP + 1}) c`,
    ]);
    const hasMore = rows.length > q.limit;
    const items = rows.slice(0, q.limit);
    const n = counted?.n ?? 0;
    return c.json({
      items: items.map(withSources),
      total: n > SEARCH_COUNT_CAP ? null : n,
      total_capped: n > SEARCH_COUNT_CAP,
      has_more: hasMore,
      next_cursor: hasMore ? String(items.at(-1)?.id) : null,
      limit: q.limit,
      offset: q.offset,
    });
  });

  app.get('/indicators/:id', zValidator('param', indicatorIdParam, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const { id } = c.req.valid('param');
    const [[row], allowed] = await Promise.all([
      sql<DetailRow[]>`WITH ${scoredIndicatorsSql(sql, new Date(), sql`i.id = ${id}`)} SELECT s.*, ${sourcesOf} AS sources FROM scored s`,
      loadAllowed(sql),
    ]);
    if (!row) throw new DomainError('not_found', `no indicator ${id}`);
    // Listed by its feeds but never matched or exported: the page says why.
    return c.json({ ...withSources(row), ignored: ignoredReason(row, allowed) });
  });

  app.get('/incidents/:id/intel-matches', zValidator('param', incidentIdParam, rejectInvalid), async (c) => {
    const { id } = c.req.valid('param');
    requireAction(c, 'incident:read', id);
    const [exists] = await sql`SELECT 1 FROM incidents WHERE id = ${id}`;
    if (!exists) throw new DomainError('not_found', `no incident ${id}`);
    const rows = await sql<
      {
        indicator_id: number;
        type: IndicatorType;
        value: string;
        observable: string;
        score: number;
        source_names: string[] | null;
        alert_id: string | null;
        matched_at: Date;
        how: 'arrival' | 'retro';
      }[]
    >`
      SELECT DISTINCT ON (m.indicator_id, m.observable) m.indicator_id, i.type, i.value, m.observable, m.score, m.alert_id, m.matched_at, m.how,
        (SELECT array_agg(DISTINCT coalesce(f.name, g.source)) FROM indicator_sightings g LEFT JOIN intel_feeds f ON f.id = g.feed_id
          WHERE g.indicator_id = i.id AND g.expired_at IS NULL) AS source_names
      FROM intel_matches m JOIN indicators i ON i.id = m.indicator_id
      WHERE m.incident_id = ${id}
      ORDER BY m.indicator_id, m.observable, m.matched_at`;
    rows.sort((a, b) => b.score - a.score || a.matched_at.getTime() - b.matched_at.getTime());
    return c.json({
      items: rows.map((r) => ({ ...r, score: Math.round(r.score * 100) / 100, source_names: r.source_names ?? [], matched_at: r.matched_at.toISOString() })),
    });
  });

  app.get('/blocklists/:file', zValidator('param', blocklistParam, rejectInvalid), zValidator('query', blocklistQuery, rejectInvalid), async (c) => {
    requireAction(c, 'incident:read');
    const m = BLOCKLIST_FILE.exec(c.req.valid('param').file);
    if (!m)
      throw new DomainError('not_found', `no blocklist ${c.req.valid('param').file} (lists: ${BLOCKLIST_NAMES.join(', ')}; formats: .txt, .csv, .stix.json)`);
    const name = m[1] as BlocklistName;
    const format = m[2] as BlocklistFormat;
    const { min_confidence, types } = c.req.valid('query');
    const listTypes = blocklistTypes(name, types);
    const answer = await cached(`blocklist:${name}:${format}:${min_confidence}:${listTypes.join(',')}:${await storeStamp()}`, async () => {
      const entries = await blocklistEntries(sql, listTypes, min_confidence);
      return { ...renderBlocklist(name, format, entries), count: entries.length };
    });
    return c.body(answer.body, 200, { 'content-type': answer.contentType, 'cache-control': 'no-store', 'x-entry-count': String(answer.count) });
  });

  return app;
}

/**
 * The feeds API and the intel admin settings (mounted under /api/v1):
 *
 *   GET/POST /feeds, GET/PATCH/DELETE /feeds/{id}     feed:manage
 *   POST /feeds/{id}/run                               feed:manage — 202 with the claimed run
 *   POST /feeds/{id}/push                              feed:manage (an API token with that scope)
 *   GET  /feeds/{id}/runs                              feed:manage — newest first
 *   GET/PUT /intel/decay-models, GET/PUT /intel/allowlist   settings:manage (admin)
 *
 * Permission is checked before existence. Every change is audited (never with feed content).
 * A push body is the feed itself (text/plain, application/json or application/octet-stream),
 * capped, streamed into the parser with the feed's format; a push is an increment (expires
 * nothing, see store.ts).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { DomainError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { allowlistBody, decayModelSchema, feedBody, INDICATOR_TYPES, patchFeedBody, type Feed, type FeedBody } from '../../shared/intel-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { toFeedRun, type FeedRow, type FeedRunner, type RunRow } from './feed-runner.ts';
import { detect } from '../../shared/indicator-normalize.ts';
import { readDecayModels, writeDecayModels } from './scoring-sql.ts';

export const feedIdParam = z.object({ id: z.uuid() });
export const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();
export const decayModelsBody = z.object({ items: z.array(decayModelSchema).min(1).max(INDICATOR_TYPES.length) }).strict();
/** Push body cap (default); INTEL_PUSH_MAX_BYTES overrides it. */
export const DEFAULT_PUSH_MAX_BYTES = 64 * 1024 ** 2;
const PUSH_TYPES = ['text/plain', 'application/json', 'application/octet-stream'];

export interface FeedRouteDeps {
  sql: Sql;
  audit: AuditLog;
  runner: FeedRunner;
  pushMaxBytes?: number;
}

type FeedWithRun = FeedRow & { indicator_count: number; run: RunRow | null };

function toFeed(r: FeedWithRun): Feed {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    format: r.format,
    schedule_minutes: r.schedule_minutes,
    default_confidence: r.default_confidence,
    tlp: r.tlp as Feed['tlp'],
    ...(r.types ? { types: r.types } : {}),
    enabled: r.enabled,
    options: r.options,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    last_run: r.run
      ? toFeedRun({ ...r.run, started_at: r.run.started_at && new Date(r.run.started_at), finished_at: r.run.finished_at && new Date(r.run.finished_at) })
      : null,
    indicator_count: r.indicator_count,
  };
}

async function readFeeds(sql: Sql, id?: string): Promise<Feed[]> {
  const rows = await sql<FeedWithRun[]>`
    SELECT f.*,
      (SELECT count(*)::int FROM indicator_sightings g WHERE g.feed_id = f.id AND g.expired_at IS NULL) AS indicator_count,
      (SELECT to_jsonb(r) FROM intel_feed_runs r WHERE r.feed_id = f.id ORDER BY r.created_at DESC LIMIT 1) AS run
    FROM intel_feeds f ${id ? sql`WHERE f.id = ${id}` : sql``} ORDER BY f.name`;
  return rows.map(toFeed);
}

async function feedOrThrow(sql: Sql, id: string): Promise<Feed> {
  const [feed] = await readFeeds(sql, id);
  if (!feed) throw new DomainError('not_found', `no feed ${id}`);
  return feed;
}

/** A pulled feed needs a URL; TAXII and MISP cannot be pushed. */
function checkShape(body: Pick<FeedBody, 'url' | 'format'>): void {
  if (body.url === null && (body.format === 'taxii' || body.format === 'misp'))
    throw new DomainError('bad_request', `body field "url": a ${body.format} feed is pulled and needs a URL`);
}

function nameTaken(e: unknown): never {
  if (typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505') throw new DomainError('conflict', 'a feed with this name exists');
  throw e;
}

export function createFeedRoutes(deps: FeedRouteDeps): Hono<AuthEnv> {
  const { sql, audit, runner } = deps;
  const pushMax = deps.pushMaxBytes ?? DEFAULT_PUSH_MAX_BYTES;
  const app = new Hono<AuthEnv>();

  app.get('/feeds', async (c) => {
    requireAction(c, 'feed:manage');
    return c.json({ items: await readFeeds(sql) });
  });

  app.post('/feeds', zValidator('json', feedBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'feed:manage');
    const body = c.req.valid('json');
    checkShape(body);
    const id = newId();
    await sql`
      INSERT INTO intel_feeds (id, name, url, format, schedule_minutes, default_confidence, tlp, types, enabled, options, created_by)
      VALUES (${id}, ${body.name}, ${body.url}, ${body.format}, ${body.schedule_minutes}, ${body.default_confidence}, ${body.tlp}, ${body.types ?? null},
        ${body.enabled}, ${sql.json(body.options as never)}, ${p.id})`.catch(nameTaken);
    await audit.append([{ actor: actorOf(p), action: 'feed.create', targetType: 'feed', targetId: id, details: { ...body } }]);
    return c.json(await feedOrThrow(sql, id), 201);
  });

  app.get('/feeds/:id', zValidator('param', feedIdParam, rejectInvalid), async (c) => {
    requireAction(c, 'feed:manage');
    return c.json(await feedOrThrow(sql, c.req.valid('param').id));
  });

  app.patch('/feeds/:id', zValidator('param', feedIdParam, rejectInvalid), zValidator('json', patchFeedBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'feed:manage');
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const before = await feedOrThrow(sql, id);
    const next = { ...before, ...patch };
    checkShape(next);
    // A different source invalidates the validators and the TAXII cursor.
    const sourceChanged = patch.url !== undefined || patch.format !== undefined || patch.options !== undefined;
    await sql`
      UPDATE intel_feeds SET name = ${next.name}, url = ${next.url}, format = ${next.format}, schedule_minutes = ${next.schedule_minutes},
        default_confidence = ${next.default_confidence}, tlp = ${next.tlp}, types = ${next.types ?? null}, enabled = ${next.enabled},
        options = ${sql.json(next.options as never)}, updated_at = now(),
        ${sourceChanged ? sql`etag = NULL, last_modified = NULL, cursor = NULL,` : sql``}
        next_run_at = ${patch.schedule_minutes !== undefined ? null : sql`next_run_at`}
      WHERE id = ${id}`.catch(nameTaken);
    await audit.append([{ actor: actorOf(p), action: 'feed.update', targetType: 'feed', targetId: id, details: patch }]);
    return c.json(await feedOrThrow(sql, id));
  });

  app.delete('/feeds/:id', zValidator('param', feedIdParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'feed:manage');
    const { id } = c.req.valid('param');
    // Sightings go with the feed (cascade); indicators keep their other sources' confidence.
    const removed = await sql.begin(async (tx) => {
      await tx`CREATE TEMP TABLE intel_unsighted (id bigint PRIMARY KEY) ON COMMIT DROP`;
      await tx`WITH d AS (DELETE FROM indicator_sightings WHERE feed_id = ${id} RETURNING indicator_id) INSERT INTO intel_unsighted SELECT DISTINCT indicator_id FROM d`;
      const gone = await tx`DELETE FROM intel_feeds WHERE id = ${id}`;
      await tx`
        UPDATE indicators i SET base_confidence = coalesce((
          SELECT 100 * (1 - exp(sum(ln(greatest(1e-9, 1 - least(100, greatest(0, g.confidence)) / 100.0)))))
          FROM indicator_sightings g WHERE g.indicator_id = i.id AND g.expired_at IS NULL), 0)
        FROM intel_unsighted u WHERE i.id = u.id`;
      return gone.count > 0;
    });
    if (!removed) throw new DomainError('not_found', `no feed ${id}`);
    await audit.append([{ actor: actorOf(p), action: 'feed.delete', targetType: 'feed', targetId: id }]);
    return c.body(null, 204);
  });

  app.post('/feeds/:id/run', zValidator('param', feedIdParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'feed:manage');
    const { id } = c.req.valid('param');
    const feed = await feedOrThrow(sql, id);
    if (!feed.url) throw new DomainError('conflict', 'this is a push feed: send its content to POST /feeds/{id}/push');
    const run = await runner.runNow(id);
    if (!run) throw new DomainError('conflict', 'a run of this feed is already in progress');
    await audit.append([{ actor: actorOf(p), action: 'feed.run', targetType: 'feed', targetId: id, details: { run_id: run.id } }]);
    return c.json(run, 202);
  });

  app.post(
    '/feeds/:id/push',
    bodyLimit({
      maxSize: pushMax,
      onError: () => {
        throw new DomainError('payload_too_large', `feed content larger than ${pushMax} bytes`);
      },
    }),
    zValidator('param', feedIdParam, rejectInvalid),
    async (c) => {
      const p = requireAction(c, 'feed:manage');
      const { id } = c.req.valid('param');
      await feedOrThrow(sql, id);
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!PUSH_TYPES.includes(type)) throw new DomainError('bad_request', `header "content-type": send the feed as ${PUSH_TYPES.join(', ')}`);
      const length = Number(c.req.header('content-length'));
      const body = c.req.raw.body;
      const content: AsyncIterable<Uint8Array> = body ? (body as unknown as AsyncIterable<Uint8Array>) : (async function* () {})();
      const run = await runner.push(id, content, Number.isFinite(length) ? length : null);
      if (!run) throw new DomainError('conflict', 'a run of this feed is already in progress');
      await audit.append([
        {
          actor: actorOf(p),
          action: 'feed.push',
          targetType: 'feed',
          targetId: id,
          details: { run_id: run.id, state: run.state, added: run.added, updated: run.updated },
        },
      ]);
      if (run.state === 'failed') throw new DomainError('unprocessable', `the pushed content could not be ingested: ${run.error ?? 'unknown error'}`, { run });
      return c.json(run);
    },
  );

  app.get('/feeds/:id/runs', zValidator('param', feedIdParam, rejectInvalid), zValidator('query', runsQuery, rejectInvalid), async (c) => {
    requireAction(c, 'feed:manage');
    const { id } = c.req.valid('param');
    await feedOrThrow(sql, id);
    const rows = await sql<RunRow[]>`SELECT * FROM intel_feed_runs WHERE feed_id = ${id} ORDER BY created_at DESC LIMIT ${c.req.valid('query').limit}`;
    return c.json({ items: rows.map(toFeedRun) });
  });

  app.get('/intel/decay-models', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json({ items: await readDecayModels(sql) });
  });

  app.put('/intel/decay-models', zValidator('json', decayModelsBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { items } = c.req.valid('json');
    await sql.begin((tx) => writeDecayModels(tx, items, p.id));
    await audit.append([{ actor: actorOf(p), action: 'intel.decay_models.update', targetType: 'intel_settings', targetId: 'decay_models', details: items }]);
    return c.json({ items: await readDecayModels(sql) });
  });

  app.get('/intel/allowlist', async (c) => {
    requireAction(c, 'settings:manage');
    const rows = await sql<{ value: string }[]>`SELECT value FROM intel_allowlist ORDER BY value`;
    return c.json({ values: rows.map((r) => r.value) });
  });

  app.put('/intel/allowlist', zValidator('json', allowlistBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const entries = new Map<string, string | null>();
    c.req.valid('json').values.forEach((raw, i) => {
      const d = detect(raw);
      if (!d || (d.type !== 'domain' && d.type !== 'ipv4' && d.type !== 'ipv6' && d.type !== 'cidr')) {
        throw new DomainError('bad_request', `body field "values.${i}": "${raw.slice(0, 100)}" is not a domain, IP address or CIDR range`);
      }
      entries.set(d.value, d.type === 'domain' ? null : (d.net ?? d.value));
    });
    await sql.begin(async (tx) => {
      await tx`DELETE FROM intel_allowlist`;
      for (const [value, net] of entries) await tx`INSERT INTO intel_allowlist (value, net, created_by) VALUES (${value}, ${net}, ${p.id})`;
    });
    await audit.append([
      { actor: actorOf(p), action: 'intel.allowlist.update', targetType: 'intel_settings', targetId: 'allowlist', details: { values: [...entries.keys()] } },
    ]);
    return c.json({ values: [...entries.keys()].sort() });
  });

  return app;
}

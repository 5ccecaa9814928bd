import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { feedRunSchema } from '../../shared/intel-api.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { createFeedRunner, type FeedRunner } from './feed-runner.ts';
import type { AddedRange } from './store.ts';
import { collect, fixtureText } from './parsers/fixtures/stream.ts';
import { parseStixObjects } from './parsers/stix.ts';
import { TAXII_MEDIA_TYPE } from './taxii.ts';

/** MISP feed at /misp/ and a TAXII 2.1 server (discovery /taxii2/, one collection paged by 4). */
const bundle = JSON.parse(fixtureText('stix-bundle.json')) as { objects: unknown[] };
const PAGE = 4;
const addedAfter: (string | null)[] = [];
let origin: Server;
let base = '';
let db: TestDatabase;
let runner: FeedRunner;
const hookCalls: AddedRange[] = [];
const EV = { a: '00000000-0000-4000-8000-00000000e0a1', b: '00000000-0000-4000-8000-00000000e0b2', c: '00000000-0000-4000-8000-00000000e0c3' };
let misp2: Record<string, { timestamp: number; values: string[] }> = {};
const misp2Asked: string[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const taxii = (body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': TAXII_MEDIA_TYPE, ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/misp/manifest.json') return res.end(fixtureText('misp-manifest.json'));
    if (/^\/misp\/[0-9a-f-]{36}\.json$/.test(url.pathname)) return res.end(fixtureText('misp-event.json'));
    // A MISP feed whose events change between pulls: it records which event files it is asked for.
    if (url.pathname === '/misp2/manifest.json')
      return res.end(JSON.stringify(Object.fromEntries(Object.entries(misp2).map(([uuid, e]) => [uuid, { info: uuid, timestamp: e.timestamp }]))));
    const misp2Event = /^\/misp2\/([0-9a-f-]{36})\.json$/.exec(url.pathname)?.[1];
    if (misp2Event && misp2[misp2Event]) {
      misp2Asked.push(misp2Event);
      const e = misp2[misp2Event];
      return res.end(
        JSON.stringify({
          Event: {
            uuid: misp2Event,
            timestamp: String(e.timestamp),
            Attribute: e.values.map((value) => ({ type: 'ip-dst', value, to_ids: true, timestamp: String(e.timestamp) })),
          },
        }),
      );
    }
    if (url.pathname === '/taxii2/') return taxii({ title: 'fixture', default: `${base}/api1/`, api_roots: [`${base}/api1/`] });
    if (url.pathname === '/api1/') return taxii({ title: 'api1', versions: [TAXII_MEDIA_TYPE] });
    if (url.pathname === '/api1/collections/') return taxii({ collections: [{ id: 'intel', title: 'intel', can_read: true }] });
    if (url.pathname === '/api1/collections/intel/objects/') {
      const start = Number(url.searchParams.get('next') ?? 0);
      if (start === 0) addedAfter.push(url.searchParams.get('added_after'));
      const more = start + PAGE < bundle.objects.length;
      return taxii(
        { more, ...(more ? { next: String(start + PAGE) } : {}), objects: bundle.objects.slice(start, start + PAGE) },
        { 'x-taxii-date-added-last': `2026-11-21T00:00:0${start / PAGE}.000Z` },
      );
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  db = await createTestDatabase({ migrated: true });
  runner = createFeedRunner({
    sql: db.sql,
    logger: createLogger({ level: 'silent' }),
    guard: { allowPrivate: true },
    onAdded: async (ids) => void hookCalls.push(ids),
  });
});
afterAll(async () => {
  await runner.stop();
  await db.drop();
  await new Promise<void>((resolve) => origin.close(() => resolve()));
});

async function addFeed(format: string, url: string, options: Record<string, unknown> = {}): Promise<string> {
  const id = newId();
  await db.sql`INSERT INTO intel_feeds (id, name, url, format, default_confidence, options, created_by) VALUES (${id}, ${`${format} feed ${id}`}, ${url}, ${format}, 70, ${db.sql.json(options as never)}, 'test')`;
  return id;
}

async function lastRun(feedId: string) {
  const [run] = await db.sql<
    { state: string; added: number; updated: number; expired: number; error: string | null }[]
  >`SELECT * FROM intel_feed_runs WHERE feed_id = ${feedId} ORDER BY created_at DESC LIMIT 1`;
  return run;
}

describe('feed runner', () => {
  it('pulls a MISP feed: manifest, then each event file', async () => {
    const feedId = await addFeed('misp', `${base}/misp/`);
    await runner.runNow(feedId);
    await runner.idle();
    const run = await lastRun(feedId);
    expect(run).toMatchObject({ state: 'succeeded', error: null });
    expect(run?.added).toBeGreaterThan(0);
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM indicator_sightings WHERE feed_id = ${feedId}`;
    expect(row?.n).toBe(run?.added);
  });

  it('IN10: asks a MISP feed only for the events changed since the last good run, and pulls it whole once a day', async () => {
    misp2 = { [EV.a]: { timestamp: 1764000000, values: ['198.51.100.31'] }, [EV.b]: { timestamp: 1764000100, values: ['198.51.100.32'] } };
    const feedId = await addFeed('misp', `${base}/misp2/`);
    const pull = async () => {
      misp2Asked.length = 0;
      await runner.runNow(feedId);
      await runner.idle();
      return lastRun(feedId);
    };
    // The first pull is whole.
    expect(await pull()).toMatchObject({ state: 'succeeded', added: 2, expired: 0 });
    expect(misp2Asked.sort()).toEqual([EV.a, EV.b]);
    // Nothing changed: no event file is fetched, and nothing it listed before expires.
    expect(await pull()).toMatchObject({ state: 'succeeded', added: 0, updated: 0, expired: 0 });
    expect(misp2Asked).toEqual([]);
    // One event edited (newer timestamp) and one new: only those two are fetched.
    misp2[EV.b] = { timestamp: 1764000200, values: ['198.51.100.32', '198.51.100.33'] };
    misp2[EV.c] = { timestamp: 1764000150, values: ['198.51.100.34'] };
    expect(await pull()).toMatchObject({ state: 'succeeded', added: 2, updated: 1, expired: 0 });
    expect(misp2Asked.sort()).toEqual([EV.b, EV.c]);
    const live = await db.sql<{ value: string }[]>`
      SELECT i.value FROM indicator_sightings g JOIN indicators i ON i.id = g.indicator_id WHERE g.feed_id = ${feedId} AND g.expired_at IS NULL ORDER BY i.value`;
    expect(live.map((r) => r.value)).toEqual(['198.51.100.31', '198.51.100.32', '198.51.100.33', '198.51.100.34']);
    // A day after the last full pull, the next one is whole again and expires what the feed dropped.
    delete misp2[EV.a];
    await db.sql`UPDATE intel_feeds SET cursor = regexp_replace(cursor, ' [0-9]+$', ' ' || (extract(epoch FROM now() - interval '25 hours') * 1000)::bigint) WHERE id = ${feedId}`;
    expect(await pull()).toMatchObject({ state: 'succeeded', added: 0, expired: 1 });
    expect(misp2Asked.sort()).toEqual([EV.b, EV.c]);
  });

  it('IN4, IN10: pulls a TAXII collection through every page, then asks only for what was added after', async () => {
    const feedId = await addFeed('taxii', `${base}/taxii2/`, { collection: 'intel' });
    const expected = await collect(
      parseStixObjects(
        (async function* () {
          yield* bundle.objects;
        })(),
      ),
    );
    await runner.runNow(feedId);
    await runner.idle();
    const run = await lastRun(feedId);
    expect(run).toMatchObject({ state: 'succeeded', expired: 0 });
    // Values the MISP feed above already reported count as updated.
    expect((run?.added ?? 0) + (run?.updated ?? 0)).toBe(new Set(expected.items.map((i) => `${i.type} ${i.value}`)).size);
    const lastPage = Math.floor((bundle.objects.length - 1) / PAGE);
    const [feed] = await db.sql<{ cursor: string }[]>`SELECT cursor FROM intel_feeds WHERE id = ${feedId}`;
    expect(feed?.cursor).toBe(`2026-11-21T00:00:0${lastPage}.000Z`);
    const range = hookCalls.at(-1);
    expect(range && range.to - range.from + 1).toBe(run?.added);
    const objects = await db.sql`SELECT id FROM intel_objects`;
    expect(objects.length).toBe(expected.objects.length);

    await runner.runNow(feedId);
    await runner.idle();
    expect(addedAfter).toEqual([null, `2026-11-21T00:00:0${lastPage}.000Z`]);
    // An increment: nothing that was not sent again is expired.
    expect(await lastRun(feedId)).toMatchObject({ state: 'succeeded', added: 0, expired: 0 });
  });

  it('IN2: keeps OTX TLP labels and never stores an item looser than its feed when the label is not understood', async () => {
    const feedId = await addFeed('json', `${base}/otx`, { preset: 'otx' });
    await db.sql`UPDATE intel_feeds SET tlp = 'amber' WHERE id = ${feedId}`;
    const pulse = (labels: Record<string, string>, value: string) => ({ name: 'p', ...labels, indicators: [{ indicator: value, type: 'IPv4' }] });
    const body = JSON.stringify({
      results: [
        pulse({ TLP: 'white' }, '203.0.113.201'),
        pulse({ TLP: 'TLP:CHARTREUSE', tlp: 'green' }, '203.0.113.202'),
        pulse({ TLP: 'chartreuse', tlp: 'red' }, '203.0.113.203'),
      ],
    });
    const run = await runner.push(
      feedId,
      (async function* () {
        yield Buffer.from(body);
      })(),
      body.length,
    );
    expect(run).toMatchObject({ state: 'succeeded', added: 3 });
    const rows = await db.sql<{ value: string; tlp: string }[]>`SELECT value, tlp FROM indicators WHERE value LIKE '203.0.113.20%' ORDER BY value`;
    expect(rows.map((r) => [r.value, r.tlp])).toEqual([
      ['203.0.113.201', 'clear'],
      ['203.0.113.202', 'amber'],
      ['203.0.113.203', 'red'],
    ]);
  });

  it('IN2: stores a JSON feed item with a TLP label it does not understand at the stricter of the item and the feed, and counts it', async () => {
    const feedId = await addFeed('json', `${base}/json`);
    await db.sql`UPDATE intel_feeds SET tlp = 'amber' WHERE id = ${feedId}`;
    const body = JSON.stringify([
      { value: '203.0.113.211', tlp: 'green' },
      { value: '203.0.113.212', tlp: 'TLP:MAGENTA' },
      { value: '203.0.113.213', tlp: 4 },
      { value: '203.0.113.214' },
      { value: '203.0.113.215', tlp: 'red' },
    ]);
    const run = await runner.push(
      feedId,
      (async function* () {
        yield Buffer.from(body);
      })(),
      body.length,
    );
    expect(run).toMatchObject({ state: 'succeeded', added: 5, tlp_unrecognised: 2 });
    const rows = await db.sql<{ value: string; tlp: string }[]>`SELECT value, tlp FROM indicators WHERE value LIKE '203.0.113.21%' ORDER BY value`;
    expect(rows.map((r) => [r.value, r.tlp])).toEqual([
      ['203.0.113.211', 'green'],
      ['203.0.113.212', 'amber'],
      ['203.0.113.213', 'amber'],
      ['203.0.113.214', 'amber'],
      ['203.0.113.215', 'red'],
    ]);
    // A red feed: the unknown label cannot make the item looser than red.
    const red = await addFeed('json', `${base}/json-red`, { expression: 'items.{ "value": v, "tlp": t }' });
    await db.sql`UPDATE intel_feeds SET tlp = 'red' WHERE id = ${red}`;
    const doc = JSON.stringify({ items: [{ v: '203.0.113.216', t: 'white-ish' }] });
    expect(
      await runner.push(
        red,
        (async function* () {
          yield Buffer.from(doc);
        })(),
        doc.length,
      ),
    ).toMatchObject({ state: 'succeeded', added: 1, tlp_unrecognised: 1 });
    expect((await db.sql`SELECT tlp FROM indicators WHERE value = '203.0.113.216'`)[0]).toEqual({ tlp: 'red' });
  });

  it('IN3, IN5: succeeds on a STIX bundle of objects only, some of them revoked', async () => {
    const feedId = await addFeed('stix', `${base}/attack`);
    const body = JSON.stringify({
      type: 'bundle',
      id: 'bundle--attack',
      objects: [
        { type: 'malware', id: 'malware--run-old', name: 'Old Name', revoked: true },
        { type: 'malware', id: 'malware--run-new', name: 'New Name', external_references: [{ source_name: 'mitre-attack', external_id: 'S9001' }] },
      ],
    });
    const run = await runner.push(
      feedId,
      (async function* () {
        yield Buffer.from(body);
      })(),
      body.length,
    );
    expect(run).toMatchObject({ state: 'succeeded', parsed: 0, skipped: 1, error: null });
    const rows = await db.sql<{ id: string }[]>`SELECT id FROM intel_objects WHERE id IN ('malware--run-old', 'malware--run-new')`;
    expect(rows.map((r) => r.id)).toEqual(['malware--run-new']);
  });

  it('IN5: reports the objects of a CISA KEV run apart from its indicators, in the row and the API shape', async () => {
    const feedId = await addFeed('json', `${base}/kev`, { preset: 'cisa_kev' });
    const body = fixtureText('cisa-kev.json');
    const run = await runner.push(
      feedId,
      (async function* () {
        yield Buffer.from(body);
      })(),
      body.length,
    );
    // The fixture's third entry has no CVE id: skipped.
    const withCve = (JSON.parse(body) as { vulnerabilities: { cveID?: string }[] }).vulnerabilities.filter((v) => /^CVE-/.test(v.cveID ?? '')).length;
    expect(withCve).toBe(2);
    expect(run).toMatchObject({ state: 'succeeded', parsed: 0, added: 0, objects: withCve, skipped: 1, error: null });
    expect(feedRunSchema.parse(run).objects).toBe(withCve);
    const [row] = await db.sql<{ objects: number }[]>`SELECT objects FROM intel_feed_runs WHERE id = ${run?.id ?? ''}`;
    expect(row?.objects).toBe(withCve);
  });

  it('marks a run abandoned by a dead process as failed and frees the feed', async () => {
    const feedId = await addFeed('plain', `${base}/nothing`);
    await db.sql`INSERT INTO intel_feed_runs (id, feed_id, state, started_at, updated_at) VALUES (${newId()}, ${feedId}, 'running', now() - interval '1 hour', now() - interval '1 hour')`;
    expect(await runner.runNow(feedId)).toBeNull();
    await db.sql`UPDATE intel_feeds SET enabled = false WHERE id <> ${feedId}`;
    const started = await runner.tick();
    expect(started).toHaveLength(1);
    await runner.idle();
    const runs = await db.sql<{ state: string; error: string }[]>`SELECT state, error FROM intel_feed_runs WHERE feed_id = ${feedId} ORDER BY created_at`;
    expect(runs.map((r) => r.state)).toEqual(['failed', 'failed']);
    expect(runs[0]?.error).toMatch(/abandoned/);
    expect(runs[1]?.error).toMatch(/HTTP 404/);
    // Scheduled: the next pull is a schedule away, so a second tick starts nothing.
    expect(await runner.tick()).toEqual([]);
  });
});

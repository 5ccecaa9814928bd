// @vitest-environment node
/**
 * Lookups against Postgres and over HTTP: exact matches, IPs inside CIDR ranges, defanged input,
 * URL hosts matching domain indicators, decayed scores and the active flag, bulk lookup of 10,000
 * values in order, search, detail with sources, the offline snapshot and the playbook lookup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { indicatorSchema, lookupResponse, snapshotResponse, type Indicator } from '../../shared/intel-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { createIntelLookup, lookupValues, type LookupResult } from './lookup.ts';
import { ingest, type StoreItem } from './store.ts';

let ts: TestServer;
const DAY = 86_400_000;
const now = new Date();
const daysAgo = (d: number): Date => new Date(now.getTime() - d * DAY);

async function seed(source: string, confidence: number, items: StoreItem[]): Promise<void> {
  await ingest(ts.server.sql, { feedId: null, source, confidence, tlp: 'green', runId: null, complete: false }, items, { now });
}

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
  await seed('Feodo Tracker', 80, [
    { type: 'ipv4', value: '45.155.205.9', last_seen: now, tags: ['c2'] },
    { type: 'cidr', value: '185.220.101.0/24', last_seen: now },
    { type: 'domain', value: 'evil.example', last_seen: now },
    { type: 'sha256', value: 'a'.repeat(64), last_seen: now },
    // 29 of 30 days old: decayed below the ipv4 threshold, still searchable.
    { type: 'ipv4', value: '91.92.109.77', last_seen: daysAgo(29) },
  ]);
  await seed('Spamhaus DROP', 60, [
    { type: 'cidr', value: '185.220.0.0/16', last_seen: now },
    { type: 'ipv4', value: '45.155.205.9', last_seen: now },
  ]);
});
afterAll(async () => {
  await ts.stop();
});

const byValue = (items: LookupResult[], v: string): LookupResult => items.find((i) => i.value === v) as LookupResult;

describe('lookupValues', () => {
  it('matches an address inside CIDR ranges, but not one outside', async () => {
    const items = await lookupValues(ts.server.sql, ['185.220.101.23', '185.220.7.1', '185.221.0.1']);
    expect(
      byValue(items, '185.220.101.23')
        .matches.map((m) => m.value)
        .sort(),
    ).toEqual(['185.220.0.0/16', '185.220.101.0/24'].sort());
    expect(byValue(items, '185.220.7.1').matches.map((m) => m.value)).toEqual(['185.220.0.0/16']);
    expect(byValue(items, '185.221.0.1')).toMatchObject({ type: 'ipv4', canonical: '185.221.0.1', matches: [] });
  });

  it('matches a range inside the wider ranges that contain it, and the range itself once', async () => {
    const items = await lookupValues(ts.server.sql, ['185.220.101.0/25', '185.220.101.0/24', '185.221.0.0/24']);
    expect(
      byValue(items, '185.220.101.0/25')
        .matches.map((m) => m.value)
        .sort(),
    ).toEqual(['185.220.0.0/16', '185.220.101.0/24']);
    expect(
      byValue(items, '185.220.101.0/24')
        .matches.map((m) => m.value)
        .sort(),
    ).toEqual(['185.220.0.0/16', '185.220.101.0/24']);
    expect(byValue(items, '185.221.0.0/24')).toMatchObject({ type: 'cidr', canonical: '185.221.0.0/24', matches: [] });
  });

  it('detects defanged values and a URL host matching a domain indicator', async () => {
    const items = await lookupValues(ts.server.sql, ['45[.]155[.]205[.]9', 'hxxps://EVIL[.]example/payload.bin', 'AAAA' + 'a'.repeat(60), 'not an indicator']);
    const ip = items[0] as LookupResult;
    expect(ip).toMatchObject({ type: 'ipv4', canonical: '45.155.205.9' });
    expect(ip.matches[0]).toMatchObject({ value: '45.155.205.9', active: true, tags: ['c2'] });
    expect(ip.matches[0]?.source_names.sort()).toEqual(['Feodo Tracker', 'Spamhaus DROP']);
    // Two sources: 100 × (1 − 0.2 × 0.4) = 92.
    expect(ip.matches[0]?.score).toBeCloseTo(92, 0);
    expect(items[1]).toMatchObject({ type: 'url', matches: [expect.objectContaining({ type: 'domain', value: 'evil.example' })] });
    expect(items[2]).toMatchObject({ type: 'sha256', canonical: 'a'.repeat(64), matches: [expect.objectContaining({ type: 'sha256' })] });
    expect(items[3]).toEqual({ value: 'not an indicator', type: null, canonical: null, matches: [] });
  });

  it('IN11: reports a decayed indicator as inactive with its lower score, and leaves it out of active-only lookups', async () => {
    const [item] = await lookupValues(ts.server.sql, ['91.92.109.77']);
    const m = item?.matches[0];
    // ipv4: lifetime 30 d, speed 0.5 → 80 × (1 − (29/30)^2) ≈ 5.2, below the threshold of 30.
    expect(m?.score).toBeCloseTo(80 * (1 - (29 / 30) ** 2), 0);
    expect(m?.active).toBe(false);
    const [active] = await lookupValues(ts.server.sql, ['91.92.109.77'], { activeOnly: true });
    expect(active?.matches).toEqual([]);
  });

  it('looks up 10,000 values in one call (split across connections, or in turn inside a transaction), answering each in order', async () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.1`);
    values[1234] = '185.220.101.5';
    values[9999] = 'evil.example';
    const items = await lookupValues(ts.server.sql, values);
    expect(items).toHaveLength(10_000);
    expect(items.map((i) => i.value)).toEqual(values);
    expect(items.filter((i) => i.matches.length).map((i) => i.value)).toEqual(['185.220.101.5', 'evil.example']);
    const now = new Date();
    const inTx = await ts.server.sql.begin((tx) => lookupValues(tx, values, { now }));
    expect(inTx).toEqual(await lookupValues(ts.server.sql, values, { now }));
  });

  it('serves the playbook action intel.lookup', async () => {
    const out = (await createIntelLookup(ts.server.sql).lookup(['45.155.205.9'])) as LookupResult[];
    expect(out[0]?.matches[0]?.value).toBe('45.155.205.9');
  });
});

describe('intel routes', () => {
  it('GET and POST /indicators/lookup answer viewers; bad input names the field; no identity is 401', async () => {
    const viewer = await ts.as('viewer');
    const one = await ts.fetch('/api/v1/indicators/lookup?value=185.220.101.1', { as: viewer });
    expect(one.status).toBe(200);
    const body = lookupResponse.parse(await one.json());
    expect(body.items[0]?.matches.length).toBe(2);
    const bulk = await ts.fetch('/api/v1/indicators/lookup', { method: 'POST', json: { values: ['evil.example', '8.8.8.8'] }, as: viewer });
    expect(((await bulk.json()) as { items: LookupResult[] }).items.map((i) => i.matches.length)).toEqual([1, 0]);
    const tooMany = await ts.fetch('/api/v1/indicators/lookup', { method: 'POST', json: { values: Array.from({ length: 10_001 }, () => '1.1.1.1') } });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await tooMany.json())).toContain('values');
    expect((await ts.fetch('/api/v1/indicators/lookup?value=1.1.1.1', { as: null })).status).toBe(401);
  });

  it('searches with filters and shows an indicator with its sources', async () => {
    const r = await ts.fetch('/api/v1/indicators?q=45.155.205&type=ipv4');
    const page = (await r.json()) as { items: Indicator[]; total: number };
    expect(page.total).toBe(1);
    expect(page.items[0]?.sources.map((s) => s.feed_name).sort()).toEqual(['Feodo Tracker', 'Spamhaus DROP']);
    const inactive = (await (await ts.fetch('/api/v1/indicators?active=false')).json()) as { items: Indicator[] };
    expect(inactive.items.map((i) => i.value)).toEqual(['91.92.109.77']);
    const tagged = (await (await ts.fetch('/api/v1/indicators?tag=c2')).json()) as { items: Indicator[] };
    expect(tagged.items.map((i) => i.value)).toEqual(['45.155.205.9']);
    const strong = (await (await ts.fetch('/api/v1/indicators?min_score=85')).json()) as { items: Indicator[] };
    expect(strong.items.map((i) => i.value)).toEqual(['45.155.205.9']);
    const id = page.items[0]?.id;
    const detail = indicatorSchema.parse(await (await ts.fetch(`/api/v1/indicators/${id}`)).json());
    expect(detail).toMatchObject({ id, type: 'ipv4', value: '45.155.205.9', active: true });
    expect(detail.sources).toHaveLength(2);
    expect(detail.sources[0]).toMatchObject({ first_seen: expect.stringMatching(/Z$/), confidence: expect.any(Number) });
    expect((await ts.fetch('/api/v1/indicators/999999')).status).toBe(404);
    expect((await ts.fetch('/api/v1/indicators?min_score=abc')).status).toBe(400);
  });

  it('snapshot holds the active indicators at or above min_score, highest first, capped', async () => {
    const snap = snapshotResponse.parse(await (await ts.fetch('/api/v1/indicators/snapshot?min_score=70')).json());
    expect(Date.parse(snap.generated_at)).toBeGreaterThan(0);
    expect(snap.items[0]).toEqual(['ipv4', '45.155.205.9', 92]);
    expect(snap.items.map((i) => i[1]).sort()).toEqual(['185.220.101.0/24', '45.155.205.9', 'a'.repeat(64), 'evil.example'].sort());
    const capped = (await (await ts.fetch('/api/v1/indicators/snapshot?min_score=0&limit=2')).json()) as z.infer<typeof snapshotResponse>;
    expect(capped.items).toHaveLength(2);
    expect(capped.items.map((i) => i[1])).not.toContain('91.92.109.77');
  });

  it('IN15: pages the search newest first by cursor, says whether there is more, and caps the count', async () => {
    type Page = { items: { id: number; value: string }[]; total: number | null; total_capped: boolean; has_more: boolean; next_cursor: string | null };
    const get = async (query: string): Promise<Page> => (await (await ts.fetch(`/api/v1/indicators?${query}`)).json()) as Page;
    const all = await get('limit=500');
    expect(all).toMatchObject({ has_more: false, next_cursor: null, total_capped: false, total: all.items.length });
    const ids = all.items.map((i) => i.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // Walking the pages by cursor gives every row once, in the same order.
    const walked: number[] = [];
    let page = await get('limit=2');
    expect(page).toMatchObject({ has_more: true, total: all.items.length });
    for (;;) {
      walked.push(...page.items.map((i) => i.id));
      if (!page.next_cursor) break;
      expect(page.has_more).toBe(true);
      page = await get(`limit=2&cursor=${page.next_cursor}`);
    }
    expect(walked).toEqual(ids);
    expect((await ts.fetch('/api/v1/indicators?cursor=abc')).status).toBe(400);
    expect((await ts.fetch(`/api/v1/indicators?cursor=${ids[1]}&offset=2`)).status).toBe(400);
    // Past the cap the count is not exact: null, and said so.
    await ts.server.sql`
      INSERT INTO indicators (type, value, base_confidence, first_seen, last_seen)
      SELECT 'sha1', lpad(to_hex(n), 40, '0'), 50, now(), now() FROM generate_series(1, 10001) n`;
    expect(await get('type=sha1&limit=1')).toMatchObject({ total: null, total_capped: true, has_more: true });
    expect(await get('type=ipv4&limit=1')).toMatchObject({ total_capped: false });
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feed, FeedRun } from '../../shared/intel-api.ts';
import { createLogger } from '../logger.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { createIntelService } from './intel-service.ts';
import type { AddedRange } from './store.ts';

/** A feed origin whose answer each test sets. */
let origin: Server;
let base = '';
let answer: { etag: string; body: string; truncate?: boolean; slow?: boolean } = { etag: '"v1"', body: '' };
let conditionalHits = 0;
let ts: TestServer;
const added: AddedRange[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    if (req.headers['if-none-match'] === answer.etag) {
      conditionalHits++;
      res.writeHead(304, { etag: answer.etag });
      res.end();
      return;
    }
    if (answer.truncate) {
      res.writeHead(200, { etag: answer.etag, 'content-length': String(answer.body.length + 500) });
      res.write(answer.body);
      setTimeout(() => res.socket?.destroy(), 30);
      return;
    }
    if (answer.slow) {
      res.writeHead(200, { etag: answer.etag });
      res.write(answer.body);
      setTimeout(() => res.end('203.0.113.250\n'), 1_500);
      return;
    }
    res.writeHead(200, { etag: answer.etag, 'content-type': 'text/plain' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  ts = await startTestServer({ intel: { allowPrivateFeedUrls: true, schedule: false } });
  ts.server.intel.onIndicatorsAdded(async (ids) => {
    added.push(ids);
  });
});
afterAll(async () => {
  await ts.stop();
  await new Promise<void>((resolve) => origin.close(() => resolve()));
});

async function createFeed(body: Record<string, unknown>): Promise<Feed> {
  const res = await ts.fetch('/api/v1/feeds', { method: 'POST', json: { format: 'plain', ...body } });
  expect(res.status).toBe(201);
  return (await res.json()) as Feed;
}

async function runAndWait(id: string): Promise<FeedRun> {
  const res = await ts.fetch(`/api/v1/feeds/${id}/run`, { method: 'POST' });
  expect(res.status).toBe(202);
  await ts.server.intel.runner.idle();
  const runs = (await (await ts.fetch(`/api/v1/feeds/${id}/runs`)).json()) as { items: FeedRun[] };
  const last = runs.items[0];
  if (!last) throw new Error('no run recorded');
  return last;
}

async function baseOf(value: string): Promise<number | undefined> {
  const [row] = await ts.server.sql<{ base_confidence: number }[]>`SELECT base_confidence FROM indicators WHERE value = ${value}`;
  return row?.base_confidence;
}

describe('feeds', () => {
  let feed: Feed;

  it('pulls a list, counts what it added and skipped, and calls the retrospective hook', async () => {
    answer = { etag: '"v1"', body: '# ipsum-like\n198.51.100.7\n198.51.100.8\n203.0.113.0/24\nnot an indicator !!\n' };
    feed = await createFeed({ name: 'lab list', url: `${base}/list.txt`, default_confidence: 60 });
    const run = await runAndWait(feed.id);
    expect(run).toMatchObject({ state: 'succeeded', added: 3, updated: 0, expired: 0, skipped: 1, parsed: 3, error: null });
    expect(run.skipped_samples[0]).toMatchObject({ text: 'not an indicator !!' });
    expect(run.bytes_read).toBe(answer.body.length);
    const range = added.at(-1);
    expect(range && range.to - range.from + 1).toBe(3);
    const got = (await (await ts.fetch(`/api/v1/feeds/${feed.id}`)).json()) as Feed;
    expect(got.indicator_count).toBe(3);
    expect(got.last_run?.id).toBe(run.id);
  });

  it('sends the stored ETag and finishes as not_modified on 304', async () => {
    const before = conditionalHits;
    const run = await runAndWait(feed.id);
    expect(run.state).toBe('not_modified');
    expect(conditionalHits).toBe(before + 1);
  });

  it('IN8, IN13: a truncated download fails the run and leaves the old data intact', async () => {
    const indicators = await ts.server.sql`SELECT * FROM indicators ORDER BY id`;
    const sightings = await ts.server.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`;
    answer = { etag: '"v2"', body: '198.51.100.7\n', truncate: true };
    const run = await runAndWait(feed.id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/truncated|aborted|closed|reset/i);
    expect(await ts.server.sql`SELECT * FROM indicators ORDER BY id`).toEqual(indicators);
    expect(await ts.server.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`).toEqual(sightings);
    // The failed pull did not record its ETag: the next pull is a full one.
    const [row] = await ts.server.sql<{ etag: string }[]>`SELECT etag FROM intel_feeds WHERE id = ${feed.id}`;
    expect(row?.etag).toBe('"v1"');
  });

  it("IN8: a body that is not the feed's format fails the run and expires nothing", async () => {
    const sightings = await ts.server.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`;
    answer = { etag: '"html"', body: '<!doctype html>\n<html><body>Service temporarily unavailable</body></html>\n' };
    const run = await runAndWait(feed.id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/nothing in the feed parsed as plain/);
    expect(run.skipped).toBeGreaterThan(0);
    expect(await ts.server.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`).toEqual(sightings);
  });

  it('IN10: expires what the feed no longer lists', async () => {
    answer = { etag: '"v3"', body: '198.51.100.7\n198.51.100.9\n' };
    const run = await runAndWait(feed.id);
    expect(run).toMatchObject({ state: 'succeeded', added: 1, updated: 1, expired: 2 });
    expect(await baseOf('198.51.100.8')).toBe(0);
    expect(await baseOf('198.51.100.7')).toBeCloseTo(60, 3);
  });

  it('writes progress to the run row while the pull is running', async () => {
    answer = { etag: '"v4"', body: '198.51.100.7\n198.51.100.9\n', slow: true };
    const res = await ts.fetch(`/api/v1/feeds/${feed.id}/run`, { method: 'POST' });
    expect(res.status).toBe(202);
    const again = await ts.fetch(`/api/v1/feeds/${feed.id}/run`, { method: 'POST' });
    expect(again.status).toBe(409);
    let seen: FeedRun | undefined;
    for (let i = 0; i < 30 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const runs = (await (await ts.fetch(`/api/v1/feeds/${feed.id}/runs`)).json()) as { items: FeedRun[] };
      const r = runs.items[0];
      if (r?.state === 'running' && r.bytes_read > 0) seen = r;
    }
    expect(seen?.bytes_read).toBe(answer.body.length);
    await ts.server.intel.runner.idle();
    const runs = (await (await ts.fetch(`/api/v1/feeds/${feed.id}/runs`)).json()) as { items: FeedRun[] };
    expect(runs.items[0]).toMatchObject({ state: 'succeeded', added: 1 });
    expect(runs.items.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'failed', 'failed', 'not_modified', 'succeeded']);
  });

  it('IN13: refuses a feed URL on a loopback address unless ALLOW_PRIVATE_FEED_URLS', async () => {
    const strict = createIntelService({ sql: ts.server.sql, logger: createLogger({ level: 'silent' }) }, { schedule: false });
    const guarded = await createFeed({ name: 'internal', url: `${base}/list.txt` });
    const started = await strict.runner.runNow(guarded.id);
    expect(started?.state).toBe('running');
    await strict.runner.idle();
    const [run] = await ts.server.sql<{ state: string; error: string }[]>`SELECT state, error FROM intel_feed_runs WHERE feed_id = ${guarded.id}`;
    expect(run).toMatchObject({ state: 'failed' });
    expect(run?.error).toMatch(/private or reserved address/);
    await strict.close();
  });

  it('takes pushed content from a token with feed:manage; several sources raise confidence', async () => {
    const pushA = await createFeed({ name: 'push a', url: null, default_confidence: 60 });
    const pushB = await createFeed({ name: 'push b', url: null, default_confidence: 50 });
    const token = await ts.token('admin', ['feed:manage']);
    const push = (id: string, body: string, type = 'text/plain') =>
      ts.fetch(`/api/v1/feeds/${id}/push`, { method: 'POST', as: token, body, headers: { 'content-type': type } });
    const a = await push(pushA.id, 'evil.example.com\n192.0.2.200\n');
    expect(a.status).toBe(200);
    expect(await a.json()).toMatchObject({ state: 'succeeded', added: 2 });
    const b = await push(pushB.id, 'EVIL.example.com\n');
    expect(await b.json()).toMatchObject({ state: 'succeeded', added: 0, updated: 1 });
    expect(await baseOf('evil.example.com')).toBeCloseTo(80, 3);
    expect((await push(pushB.id, 'x', 'application/xml')).status).toBe(400);
    // A push is an increment: the value not sent again stays live.
    await push(pushA.id, 'other.example.net\n');
    expect(await baseOf('192.0.2.200')).toBeCloseTo(60, 3);
  });

  it('serves a device snapshot that includes what a feed run just added, even right after serving one', async () => {
    const snapshot = async (): Promise<string[]> =>
      ((await (await ts.fetch('/api/v1/indicators/snapshot?min_score=50')).json()) as { items: [string, string, number][] }).items.map((i) => i[1]);
    expect(await snapshot()).not.toContain('fresh.example.org');
    const fresh = await createFeed({ name: 'fresh push', url: null, default_confidence: 90 });
    const token = await ts.token('admin', ['feed:manage']);
    const pushed = await ts.fetch(`/api/v1/feeds/${fresh.id}/push`, {
      method: 'POST',
      as: token,
      body: 'fresh.example.org\n',
      headers: { 'content-type': 'text/plain' },
    });
    expect(pushed.status).toBe(200);
    expect(await snapshot()).toContain('fresh.example.org');
  });

  it('deleting a feed removes its sightings; indicators keep their other sources', async () => {
    const a = await createFeed({ name: 'del a', url: null, default_confidence: 60 });
    const b = await createFeed({ name: 'del b', url: null, default_confidence: 50 });
    const token = await ts.token('admin', ['feed:manage']);
    const push = (id: string, body: string) =>
      ts.fetch(`/api/v1/feeds/${id}/push`, { method: 'POST', as: token, body, headers: { 'content-type': 'text/plain' } });
    const pa = await push(a.id, 'shared.example.org\n');
    expect(await pa.json()).toMatchObject({ state: 'succeeded', added: 1 });
    await push(b.id, 'shared.example.org\n');
    expect(await baseOf('shared.example.org')).toBeCloseTo(80, 3);
    expect((await ts.fetch(`/api/v1/feeds/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await baseOf('shared.example.org')).toBeCloseTo(50, 3);
    expect((await ts.server.sql`SELECT 1 FROM indicator_sightings WHERE feed_id = ${a.id}`).length).toBe(0);
    expect((await ts.fetch(`/api/v1/feeds/${a.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('ID2: checks permission before existence and names bad fields', async () => {
    const analyst = await ts.as('analyst');
    const missing = '00000000-0000-4000-8000-00000000abcd';
    expect((await ts.fetch(`/api/v1/feeds/${missing}`, { as: analyst })).status).toBe(403);
    expect((await ts.fetch(`/api/v1/feeds/${missing}`)).status).toBe(404);
    expect(
      (await ts.fetch(`/api/v1/feeds/${feed.id}/push`, { as: analyst, method: 'POST', body: '1.2.3.4', headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(403);
    const bad = await ts.fetch('/api/v1/feeds', { method: 'POST', json: { name: 'x', url: 'ftp://example.com/a', format: 'plain' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('url');
  });

  it('edits decay models and the allow-list (admin), normalized', async () => {
    const put = await ts.fetch('/api/v1/intel/decay-models', {
      method: 'PUT',
      json: { items: [{ type: 'ipv4', lifetime_days: 14, speed: 1, threshold: 25 }] },
    });
    expect(put.status).toBe(200);
    const models = (await put.json()) as { items: { type: string; lifetime_days: number }[] };
    expect(models.items.find((m) => m.type === 'ipv4')?.lifetime_days).toBe(14);
    expect(models.items).toHaveLength(8);
    const allow = await ts.fetch('/api/v1/intel/allowlist', { method: 'PUT', json: { values: ['Corp.Example.COM', '10.0.0.0/8', '192.0.2.5'] } });
    expect(await allow.json()).toEqual({ values: ['10.0.0.0/8', '192.0.2.5', 'corp.example.com'] });
    const bad = await ts.fetch('/api/v1/intel/allowlist', { method: 'PUT', json: { values: ['corp.example.com', 'not a value at all'] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('values.1');
    const lead = await ts.as('lead');
    expect((await ts.fetch('/api/v1/intel/allowlist', { as: lead })).status).toBe(403);
  });
});

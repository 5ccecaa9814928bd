// @vitest-environment node
/**
 * Matching against the indicator store: an alert's observables on arrival (reputation in the
 * risk factors, the match recorded and written once into the incident), observables people add
 * to an incident, and the retrospective search when a pushed feed adds indicators (a timeline
 * entry in past incidents, an incident opened for an alert that had none). The incident matches
 * route checks permission before existence.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDetail, AlertRules, IngestResponse } from '../../shared/alerts-api.ts';
import { intelMatchesResponse } from '../../shared/intel-api.ts';
import { addObservable, readTimeline, SERVER_ORIGIN } from '../../shared/incident-doc.ts';
import type { TimelineEntry } from '../../shared/incident-schema.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { pushPlainFeed } from '../testing/intel-feeds.ts';
import { createLogger } from '../logger.ts';
import { createRetroSearch } from './matching.ts';
import { ingest, retroRanges, type RetroRanges } from './store.ts';

let ts: TestServer;
let seq = 0;
// A Slack incoming webhook: what the retrospective search posts.
let slack: Server;
const slackPosts: { text: string }[] = [];

const postAlert = async (observables: Record<string, string[]>, over: Record<string, unknown> = {}): Promise<IngestResponse['items'][number]> => {
  const r = await ts.fetch('/api/v1/alerts', {
    method: 'POST',
    json: { source: 'ids', type: 'c2', title: `Beacon ${++seq}`, impact: 3, observables, ...over },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as IngestResponse).items[0] as IngestResponse['items'][number];
};
const intelEntries = async (incidentId: string): Promise<TimelineEntry[]> =>
  (await ts.server.docs.withDoc(incidentId, (doc) => readTimeline(doc))).filter((e) => e.kind === 'system' && e.author === 'sentpilot intel');

const pushFeed = (name: string, content: string, confidence?: number): Promise<void> => pushPlainFeed(ts, name, content, confidence);

beforeAll(async () => {
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      slackPosts.push(JSON.parse(body) as { text: string });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  ts = await startTestServer({ intel: { schedule: false } });
  await ingest(ts.server.sql, { feedId: null, source: 'Feodo Tracker', confidence: 80, tlp: 'green', runId: null, complete: false }, [
    { type: 'ipv4', value: '45.155.205.9' },
    { type: 'cidr', value: '185.220.101.0/24' },
    { type: 'domain', value: 'evil.example' },
  ]);
});
afterAll(async () => {
  await ts.stop();
  slack.close();
});

describe('matching on arrival', () => {
  it("IN12, AL3: puts the intel reputation into an alert's risk score, records the match and tells the incident once", async () => {
    const plain = await postAlert({ ips: ['8.8.4.4'] });
    const hit = await postAlert({ ips: ['45.155.205.9'] });
    expect(hit.score).toBeGreaterThan(plain.score as number);
    const detail = (await (await ts.fetch(`/api/v1/alerts/${hit.alert_id}`)).json()) as AlertDetail;
    const factor = detail.risk.factors.find((f) => f.factor === 'intel_reputation');
    expect(factor?.detail).toContain('80/100');
    expect(factor?.points).toBe(12);

    const incident = hit.incident_id as string;
    const entries = await intelEntries(incident);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.text).toBe('Threat intel: 45.155.205.9 is reported by Feodo Tracker (score 80)');
    expect(entries[0]?.data).toMatchObject({
      intel_match: { value: '45.155.205.9', score: 80, sources: ['Feodo Tracker'], how: 'arrival', alert_id: hit.alert_id },
    });

    // A second alert on the same address joins the incident: recorded, not announced again.
    const again = await postAlert({ ips: ['45.155.205.9'] }, { type: 'scan' });
    expect(again.incident_id).toBe(incident);
    expect(await intelEntries(incident)).toHaveLength(1);
    await ts.server.projector.flush();
    const matches = intelMatchesResponse.parse(await (await ts.fetch(`/api/v1/incidents/${incident}/intel-matches`)).json());
    expect(matches.items).toEqual([
      expect.objectContaining({ value: '45.155.205.9', observable: '45.155.205.9', how: 'arrival', source_names: ['Feodo Tracker'] }),
    ]);
  });

  it('IN12: matches an observable a person adds to an incident (an IP inside a listed range)', async () => {
    const created = await postAlert({ hosts: ['ws-17'] });
    const incident = created.incident_id as string;
    await ts.server.docs.withDoc(incident, (doc) => addObservable(doc, { kind: 'ip', value: '185.220.101.77' }, 'a device'));
    await ts.server.intelUse.matcher.flush();
    const entries = await intelEntries(incident);
    expect(entries.map((e) => e.text)).toEqual(['Threat intel: 185.220.101.77 (in 185.220.101.0/24) is reported by Feodo Tracker (score 80)']);
    // The next change re-checks nothing already checked.
    await ts.server.docs.withDoc(incident, (doc) => addObservable(doc, { kind: 'domain', value: 'evil.example' }, SERVER_ORIGIN));
    await ts.server.intelUse.matcher.flush();
    expect((await intelEntries(incident)).map((e) => e.text)).toHaveLength(2);
  });

  it('ID2: checks permission before existence on the incident matches route', async () => {
    const guest = await ts.as('guest');
    const created = await postAlert({ ips: ['45.155.205.9'] }, { title: 'other' });
    expect((await ts.fetch(`/api/v1/incidents/${created.incident_id}/intel-matches`, { as: guest })).status).toBe(403);
    expect((await ts.fetch('/api/v1/incidents/0193a000-0000-7000-8000-000000000000/intel-matches', { as: guest })).status).toBe(403);
    expect((await ts.fetch('/api/v1/incidents/0193a000-0000-7000-8000-000000000000/intel-matches')).status).toBe(404);
  });
});

describe('retrospective search', () => {
  it('IN12: adds a timeline entry to a past incident when a feed starts reporting its observable', async () => {
    const past = await postAlert({ ips: ['45.33.32.156'], domains: ['quiet.example'] });
    const incident = past.incident_id as string;
    expect(await intelEntries(incident)).toEqual([]);
    const port = (slack.address() as { port: number }).port;
    const conn = await ts.fetch('/api/v1/connectors/slack', {
      method: 'PUT',
      json: { endpoint: null, secrets: { webhook_url: `http://127.0.0.1:${port}/hook` } },
    });
    expect(conn.status).toBe(200);
    await pushFeed('Feodo push', '# c2 list\n45.33.32.156\n');
    expect(slackPosts).toEqual([{ text: `• Threat intel: 45.33.32.156 is now reported by Feodo push (score 80) (incident ${incident})` }]);
    const entries = await intelEntries(incident);
    expect(entries.map((e) => e.text)).toEqual(['Threat intel: 45.33.32.156 is now reported by Feodo push (score 80)']);
    expect(entries[0]?.data).toMatchObject({ intel_match: { how: 'retro', observable: '45.33.32.156' } });
    await ts.server.projector.flush();
    const matches = (await (await ts.fetch(`/api/v1/incidents/${incident}/intel-matches`)).json()) as { items: { how: string }[] };
    expect(matches.items.map((m) => m.how)).toEqual(['retro']);
  });

  it('IN12: finds a past address inside a range a later feed lists (IPv4 and IPv6)', async () => {
    const past = await postAlert({ ips: ['66.175.10.20'] });
    const past6 = await postAlert({ ips: ['2600:3c01::f03c:91ff:fe18:bb2f'] });
    const incident = past.incident_id as string;
    // An unrelated address first; then a second feed lists a range holding the incident's address.
    await pushFeed('Ranges A', '8.8.4.4\n');
    const before = new Set((await intelEntries(incident)).map((e) => e.id));
    await pushFeed('Ranges B', '66.175.0.0/16\n2600:3c01::/32\n8.8.4.4\n');
    const entries = (await intelEntries(incident)).filter((e) => !before.has(e.id));
    expect(entries.map((e) => e.text)).toEqual(['Threat intel: 66.175.10.20 (in 66.175.0.0/16) is now reported by Ranges B (score 80)']);
    expect(entries[0]?.data).toMatchObject({ intel_match: { how: 'retro', observable: '66.175.10.20' } });
    expect((await intelEntries(past6.incident_id as string)).map((e) => e.text)).toEqual([
      'Threat intel: 2600:3c01::f03c:91ff:fe18:bb2f (in 2600:3c01::/32) is now reported by Ranges B (score 80)',
    ]);
  });

  it('IN12: looks back only as far as the configured window', async () => {
    const recent = await postAlert({ ips: ['23.92.1.2'] });
    const old = await postAlert({ ips: ['23.92.1.1'] });
    await ts.server.projector.flush();
    await ts.server.sql`UPDATE incident_observables SET last_seen = now() - interval '40 days' WHERE incident_id = ${old.incident_id as string}`;
    // Stored without the feed runner, so the server's own 90-day search does not run first.
    const stored = await ingest(ts.server.sql, { feedId: null, source: 'window test', confidence: 80, tlp: 'amber', runId: null, complete: false }, [
      { type: 'ipv4', value: '23.92.1.1' },
      { type: 'ipv4', value: '23.92.1.2' },
    ]);
    expect(stored.addedRange).not.toBeNull();
    const retro = createRetroSearch({ sql: ts.server.sql, docs: ts.server.docs, logger: createLogger({ level: 'silent' }), windowDays: 30 });
    expect(await retro(stored.addedRange as { from: number; to: number })).toMatchObject({ matched: 1, incidents: 1 });
    expect((await intelEntries(recent.incident_id as string)).map((e) => e.text)).toEqual([
      'Threat intel: 23.92.1.2 is now reported by window test (score 80)',
    ]);
    expect(await intelEntries(old.incident_id as string)).toEqual([]);
  });

  it('IN10, IN12: searches again when an indicator that had expired is listed again', async () => {
    const src = (runId: string) => ({ feedId: null, source: 'revival list', confidence: 80, tlp: 'amber', runId, complete: true });
    const retro = createRetroSearch({ sql: ts.server.sql, docs: ts.server.docs, logger: createLogger({ level: 'silent' }) });
    // Listed, then no longer listed by the complete list: its only sighting expires and it stops counting.
    const first = await ingest(ts.server.sql, src('00000000-0000-4000-8000-0000000000a1'), [
      { type: 'ipv4', value: '23.94.7.7' },
      { type: 'ipv4', value: '23.94.7.8' },
    ]);
    await retro(retroRanges(first) as RetroRanges);
    await ingest(ts.server.sql, src('00000000-0000-4000-8000-0000000000a2'), [{ type: 'ipv4', value: '23.94.7.8' }]);
    // An alert carrying it arrives while it does not count: no match on arrival.
    const past = await postAlert({ ips: ['23.94.7.7'] });
    const incident = past.incident_id as string;
    await ts.server.projector.flush();
    expect(await intelEntries(incident)).toEqual([]);
    // The list names it again: revived, not new, and the search looks at it like a new one.
    const back = await ingest(ts.server.sql, src('00000000-0000-4000-8000-0000000000a3'), [
      { type: 'ipv4', value: '23.94.7.7' },
      { type: 'ipv4', value: '23.94.7.8' },
    ]);
    expect(back).toMatchObject({ added: 0, updated: 2, revived: 1, addedRange: null });
    const ranges = retroRanges(back);
    expect(ranges).not.toBeNull();
    // The search finds it again. (Whether this search or the alert's own arrival match, if that ran
    // late on a loaded machine, records it first, the incident is told once.)
    expect(await retro(ranges as RetroRanges)).toMatchObject({ matched: 1 });
    await expect.poll(async () => (await intelEntries(incident)).map((e) => e.text).filter((t) => t.includes('23.94.7.7')).length, { timeout: 10_000 }).toBe(1);
    // Listed again while it counts: nothing revived, nothing searched.
    const again = await ingest(ts.server.sql, src('00000000-0000-4000-8000-0000000000a4'), [
      { type: 'ipv4', value: '23.94.7.7' },
      { type: 'ipv4', value: '23.94.7.8' },
    ]);
    expect(again).toMatchObject({ revived: 0, revivedRanges: [] });
    expect(retroRanges(again)).toBeNull();
  });

  it('IN10, IN12: a revived indicator reaches the retrospective search through a feed run', async () => {
    const past = await postAlert({ ips: ['23.94.9.9'] });
    const incident = past.incident_id as string;
    await ts.server.projector.flush();
    // Stored by an earlier list and since expired everywhere: kept, but it counts for nothing.
    await ingest(
      ts.server.sql,
      { feedId: null, source: 'old list', confidence: 80, tlp: 'amber', runId: '00000000-0000-4000-8000-0000000000b1', complete: true },
      [{ type: 'ipv4', value: '23.94.9.9' }],
    );
    await ingest(
      ts.server.sql,
      { feedId: null, source: 'old list', confidence: 80, tlp: 'amber', runId: '00000000-0000-4000-8000-0000000000b2', complete: true },
      [],
    );
    const before = (await intelEntries(incident)).length;
    await pushFeed('Revival push', '23.94.9.9\n');
    const entries = (await intelEntries(incident)).slice(before);
    expect(entries.map((e) => e.text)).toEqual(['Threat intel: 23.94.9.9 is now reported by Revival push (score 80)']);
  });

  it('IN12: opens an incident for a past alert that had none', async () => {
    const rules = (await (await ts.fetch('/api/v1/alert-rules')).json()) as AlertRules;
    expect((await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: { ...rules, min_score_for_incident: 100 } })).status).toBe(200);
    const lone = await postAlert({ urls: ['http://dropper.example/stage2.bin'], ips: ['45.79.1.1'] }, { title: 'Suspicious download' });
    expect(lone.incident_id).toBeNull();
    await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: rules });

    await pushFeed('URLhaus push', 'http://dropper.example/stage2.bin\n', 70);
    const [m] = await ts.server.sql<
      { incident_id: string }[]
    >`SELECT incident_id FROM intel_matches WHERE alert_id = ${lone.alert_id as string} AND incident_id IS NOT NULL`;
    expect(m?.incident_id).toBeTruthy();
    const timeline = await ts.server.docs.withDoc(m?.incident_id as string, (doc) => readTimeline(doc));
    expect(timeline.find((e) => e.kind === 'alert')).toMatchObject({ text: 'Suspicious download', data: { alert_id: lone.alert_id } });
    expect((await intelEntries(m?.incident_id as string)).map((e) => e.text)).toEqual([
      'Threat intel: http://dropper.example/stage2.bin is now reported by URLhaus push (score 70)',
    ]);

    // A later indicator for the same alert goes to that incident: no second one is opened.
    await pushFeed('Second list', '45.79.1.1\n', 60);
    const all = await ts.server.sql`SELECT DISTINCT incident_id FROM intel_matches WHERE alert_id = ${lone.alert_id as string} AND incident_id IS NOT NULL`;
    expect(all).toHaveLength(1);
    expect((await intelEntries(m?.incident_id as string)).map((e) => e.text)).toContain('Threat intel: 45.79.1.1 is now reported by Second list (score 60)');
  });
});

// @vitest-environment node
/**
 * Issue 18: what the intel store must ignore and how URLs compare. A FireHOL-level1-like list
 * names private and multicast ranges besides a public address: an alert or incident with an
 * ordinary internal address gets no match, no reputation and no timeline entry, a lookup finds
 * nothing, the device snapshot leaves the ranges out, and the indicator's page says why; the
 * public address still matches, and the allow-list is ignored the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDetail, AlertRules, IngestResponse } from '../../shared/alerts-api.ts';
import { indicatorDetailSchema, lookupResponse, snapshotResponse } from '../../shared/intel-api.ts';
import { addObservable, readTimeline } from '../../shared/incident-doc.ts';
import type { TimelineEntry } from '../../shared/incident-schema.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { pushPlainFeed } from '../testing/intel-feeds.ts';

let ts: TestServer;
let seq = 0;

// The shape of firehol_level1.netset: a comment header, then ranges and addresses.
const FIREHOL_LIKE = [
  '#',
  '# firehol_level1',
  '# ipv4 hash:net ipset',
  '#',
  '10.0.0.0/8',
  '224.0.0.0/3',
  '192.168.0.0/16',
  '185.220.101.0/24',
  '45.155.205.233',
  '',
].join('\n');

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
const reputation = async (alertId: string | null) => {
  const detail = (await (await ts.fetch(`/api/v1/alerts/${alertId as string}`)).json()) as AlertDetail;
  return detail.risk.factors.find((f) => f.factor === 'intel_reputation') ?? null;
};
const lookup = async (values: string[]) =>
  lookupResponse.parse(await (await ts.fetch('/api/v1/indicators/lookup', { method: 'POST', json: { values } })).json()).items;
const indicatorId = async (value: string): Promise<number> => {
  const [r] = await ts.server.sql<{ id: number }[]>`SELECT id::int AS id FROM indicators WHERE value = ${value}`;
  return r?.id as number;
};

const pushFeed = (name: string, content: string, confidence?: number): Promise<void> => pushPlainFeed(ts, name, content, confidence);

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
});
afterAll(async () => {
  await ts.stop();
});

describe('IN7: never-public addresses listed by a feed', () => {
  it('an unlinked alert with an internal address gets no incident from the retrospective search', async () => {
    const rules = (await (await ts.fetch('/api/v1/alert-rules')).json()) as AlertRules;
    expect((await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: { ...rules, min_score_for_incident: 100 } })).status).toBe(200);
    const lone = await postAlert({ ips: ['192.168.7.7'] }, { title: 'Printer chatter' });
    const publicLone = await postAlert({ ips: ['185.220.101.9'] }, { title: 'Tor exit' });
    expect(lone.incident_id).toBeNull();
    await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: rules });

    await pushFeed('FireHOL level1', FIREHOL_LIKE);
    const matched = await ts.server.sql<
      { alert_id: string }[]
    >`SELECT alert_id::text FROM intel_matches WHERE alert_id IN (${lone.alert_id as string}, ${publicLone.alert_id as string})`;
    expect(matched.map((m) => m.alert_id)).toEqual([publicLone.alert_id]);
  });

  it('AL10: an alert with 10.1.2.3 gets no match, no reputation and no timeline entry; the public address still does', async () => {
    const internal = await postAlert({ ips: ['10.1.2.3', '239.255.255.250'] });
    expect(internal.incident_id).toBeTruthy();
    expect(await reputation(internal.alert_id)).toBeNull();
    expect(await intelEntries(internal.incident_id as string)).toEqual([]);
    expect(await ts.server.sql`SELECT 1 FROM intel_matches WHERE alert_id = ${internal.alert_id as string}`).toHaveLength(0);

    const external = await postAlert({ ips: ['45.155.205.233'] });
    expect((await reputation(external.alert_id))?.detail).toContain('80/100');
    expect((await intelEntries(external.incident_id as string)).map((e) => e.text)).toEqual([
      'Threat intel: 45.155.205.233 is reported by FireHOL level1 (score 80)',
    ]);
  });

  it('an internal address a person adds to an incident is not matched', async () => {
    const created = await postAlert({ hosts: ['ws-18'] });
    const incident = created.incident_id as string;
    await ts.server.docs.withDoc(incident, (doc) => {
      addObservable(doc, { kind: 'ip', value: '10.20.30.40' }, 'a device');
      addObservable(doc, { kind: 'ip', value: '185.220.101.77' }, 'a device');
    });
    await ts.server.intelUse.matcher.flush();
    expect((await intelEntries(incident)).map((e) => e.text)).toEqual([
      'Threat intel: 185.220.101.77 (in 185.220.101.0/24) is reported by FireHOL level1 (score 80)',
    ]);
  });

  it('a lookup finds nothing for internal and multicast addresses or the listed ranges themselves', async () => {
    const items = await lookup(['10.1.2.3', '224.0.0.251', '10.0.0.0/8', 'http://10.1.2.3/admin', '45.155.205.233']);
    expect(items.map((i) => [i.value, i.matches.map((m) => m.value)])).toEqual([
      ['10.1.2.3', []],
      ['224.0.0.251', []],
      ['10.0.0.0/8', []],
      ['http://10.1.2.3/admin', []],
      ['45.155.205.233', ['45.155.205.233']],
    ]);
  });

  it('the device snapshot leaves the ranges out', async () => {
    const snap = snapshotResponse.parse(await (await ts.fetch('/api/v1/indicators/snapshot?min_score=0')).json());
    const values = snap.items.map(([, v]) => v);
    expect(values).toEqual(expect.arrayContaining(['45.155.205.233', '185.220.101.0/24']));
    expect(values.filter((v) => v.startsWith('10.') || v.startsWith('224.') || v.startsWith('192.168.'))).toEqual([]);
  });

  it("the indicator's page says it is listed but ignored, and why", async () => {
    const ranged = indicatorDetailSchema.parse(await (await ts.fetch(`/api/v1/indicators/${await indicatorId('10.0.0.0/8')}`)).json());
    expect(ranged).toMatchObject({ value: '10.0.0.0/8', ignored: 'private_range', sources: [expect.objectContaining({ feed_name: 'FireHOL level1' })] });
    const listed = indicatorDetailSchema.parse(await (await ts.fetch(`/api/v1/indicators/${await indicatorId('45.155.205.233')}`)).json());
    expect(listed.ignored).toBeNull();
  });

  it('an allow-listed public address is ignored the same way', async () => {
    expect((await ts.fetch('/api/v1/intel/allowlist', { method: 'PUT', json: { values: ['185.220.101.0/28'] } })).status).toBe(200);
    const allowed = await postAlert({ ips: ['185.220.101.5'] });
    expect(await reputation(allowed.alert_id)).toBeNull();
    expect(await intelEntries(allowed.incident_id as string)).toEqual([]);
    expect((await lookup(['185.220.101.5']))[0]?.matches).toEqual([]);
    // The range overlaps the allowed one: its page says so.
    const range = indicatorDetailSchema.parse(await (await ts.fetch(`/api/v1/indicators/${await indicatorId('185.220.101.0/24')}`)).json());
    expect(range.ignored).toBe('allowlist');
    expect((await ts.fetch('/api/v1/intel/allowlist', { method: 'PUT', json: { values: [] } })).status).toBe(200);
  });
});

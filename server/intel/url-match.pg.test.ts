// @vitest-environment node
/**
 * Issue 18: a URL indicator and an alert's URL observable share one canonical form (scheme and
 * host lower-cased, default port dropped, path and query as written, defanging undone), so a
 * listed URL with an upper-case path matches the alert that reports it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDetail, IngestResponse } from '../../shared/alerts-api.ts';
import { readTimeline } from '../../shared/incident-doc.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { pushPlainFeed } from '../testing/intel-feeds.ts';

let ts: TestServer;
let seq = 0;

const postAlert = async (observables: Record<string, string[]>): Promise<IngestResponse['items'][number]> => {
  const r = await ts.fetch('/api/v1/alerts', {
    method: 'POST',
    json: { source: 'proxy', type: 'download', title: `Download ${++seq}`, impact: 3, observables },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as IngestResponse).items[0] as IngestResponse['items'][number];
};
const reputation = async (alertId: string | null) => {
  const detail = (await (await ts.fetch(`/api/v1/alerts/${alertId as string}`)).json()) as AlertDetail;
  return detail.risk.factors.find((f) => f.factor === 'intel_reputation') ?? null;
};
const intelTexts = async (incidentId: string | null): Promise<string[]> =>
  (await ts.server.docs.withDoc(incidentId as string, (doc) => readTimeline(doc))).filter((e) => e.author === 'sentpilot intel').map((e) => e.text);

const pushFeed = (name: string, content: string, confidence?: number): Promise<void> => pushPlainFeed(ts, name, content, confidence);

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
  await pushFeed('URL list', 'http://Evil.example/Document/Invoice.PDF\n', 70);
});
afterAll(async () => {
  await ts.stop();
});

describe('IN6: URLs keep the case of their path', () => {
  it('a listed http://Evil.example/Document/Invoice.PDF matches the alert URL hxxp://evil[.]example/Document/Invoice.PDF', async () => {
    const hit = await postAlert({ urls: ['hxxp://evil[.]example/Document/Invoice.PDF'] });
    expect((await reputation(hit.alert_id))?.detail).toContain('70/100');
    expect(await intelTexts(hit.incident_id)).toEqual(['Threat intel: http://evil.example/Document/Invoice.PDF is reported by URL list (score 70)']);
    // Another path case is another URL.
    const other = await postAlert({ urls: ['http://evil.example/document/invoice.pdf'] });
    expect(await reputation(other.alert_id)).toBeNull();
  });

  it('the retrospective search finds an unlinked alert by its URL as written', async () => {
    const rules = (await (await ts.fetch('/api/v1/alert-rules')).json()) as { min_score_for_incident: number };
    expect((await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: { ...rules, min_score_for_incident: 100 } })).status).toBe(200);
    const lone = await postAlert({ urls: ['https://Cdn.example/Payloads/Stage2.BIN'] });
    expect(lone.incident_id).toBeNull();
    await ts.fetch('/api/v1/alert-rules', { method: 'PUT', json: rules });
    await pushFeed('Late URL list', 'https://cdn.example/Payloads/Stage2.BIN\n', 60);
    const [m] = await ts.server.sql<{ observable: string }[]>`SELECT observable FROM intel_matches WHERE alert_id = ${lone.alert_id as string}`;
    expect(m?.observable).toBe('https://cdn.example/Payloads/Stage2.BIN');
  });
});

// @vitest-environment node
/**
 * One lookup path for the incident's intel panel and /intel (issue 20): a URL observable on an
 * incident matches a listed domain by its host, as GET /indicators/lookup finds it for the same
 * value — whether the domain was listed before the URL was added (arrival matching) or a feed
 * lists it later (the retrospective search).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intelMatchesResponse, lookupResponse } from '../../shared/intel-api.ts';
import { addObservable } from '../../shared/incident-doc.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { pushPlainFeed } from '../testing/intel-feeds.ts';
import { ingest } from './store.ts';

let ts: TestServer;

async function incidentWithUrl(url: string): Promise<string> {
  const res = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: `Clicked ${url}`, severity: 'S3' } });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await ts.server.docs.withDoc(id, (doc) => addObservable(doc, { kind: 'url', value: url }, 'a device'));
  await ts.server.projector.flush();
  await ts.server.intelUse.matcher.flush();
  return id;
}

/** An incident opened by an alert carrying the URL (its observables are what the retrospective search reads). */
async function incidentFromAlert(url: string): Promise<string> {
  const r = await ts.fetch('/api/v1/alerts', {
    method: 'POST',
    json: { source: 'proxy', type: 'phish_click', title: `Clicked ${url}`, impact: 3, observables: { urls: [url] } },
  });
  expect(r.status).toBe(200);
  const id = ((await r.json()) as { items: { incident_id: string | null }[] }).items[0]?.incident_id;
  expect(id).toBeTruthy();
  await ts.server.projector.flush();
  return id as string;
}

const panel = async (id: string): Promise<{ value: string; type: string; observable: string }[]> =>
  intelMatchesResponse.parse(await (await ts.fetch(`/api/v1/incidents/${id}/intel-matches`)).json()).items;

const lookup = async (value: string): Promise<{ type: string; value: string }[]> => {
  const res = await ts.fetch(`/api/v1/indicators/lookup?value=${encodeURIComponent(value)}`);
  expect(res.status).toBe(200);
  return lookupResponse.parse(await res.json()).items[0]?.matches ?? [];
};

beforeAll(async () => {
  ts = await startTestServer({ intel: { schedule: false } });
  await ingest(ts.server.sql, { feedId: null, source: 'Phish list', confidence: 80, tlp: 'green', runId: null, complete: false }, [
    { type: 'domain', value: 'listed-before.example' },
  ]);
});
afterAll(async () => {
  await ts?.stop();
});

describe('IN6, IN12: a URL observable and a listed domain', () => {
  it('matches on arrival as /indicators/lookup does', async () => {
    const url = 'https://listed-before.example/login?next=%2Finbox';
    expect(await lookup(url)).toEqual([expect.objectContaining({ type: 'domain', value: 'listed-before.example' })]);
    const id = await incidentWithUrl(url);
    expect(await panel(id)).toEqual([expect.objectContaining({ type: 'domain', value: 'listed-before.example', observable: url })]);
  });

  it('matches an alert URL on arrival as /indicators/lookup does', async () => {
    const url = 'http://listed-before.example/Mail/Reset';
    const id = await incidentFromAlert(url);
    expect(await panel(id)).toEqual([expect.objectContaining({ type: 'domain', value: 'listed-before.example', observable: url })]);
  });

  it('matches when a feed lists the host later, as /indicators/lookup does', async () => {
    const url = 'https://listed-later.example/invoice/Download.PDF';
    const id = await incidentFromAlert(url);
    expect(await panel(id)).toEqual([]);
    await pushPlainFeed(ts, 'Later phish list', 'listed-later.example\n');
    expect(await lookup(url)).toEqual([expect.objectContaining({ type: 'domain', value: 'listed-later.example' })]);
    expect(await panel(id)).toEqual([expect.objectContaining({ type: 'domain', value: 'listed-later.example', observable: url })]);
  });
});

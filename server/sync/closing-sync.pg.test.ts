// @vitest-environment node
/**
 * Closing an incident on a device (issue 20), over the socket and the batch sync. The app always
 * writes the resolution and the one-line summary with the status (closeIncident); a client that
 * writes `closed` without them is old or hostile. Its update is still accepted whole: a Yjs
 * update cannot be refused in part, and refusing it would also refuse everything else the
 * device wrote in it and, since the device's later updates build on it, everything after it —
 * notes and field changes nobody may lose. So the closing stands, the projection says honestly
 * that it has no resolution (null, never a guessed one, an invalid one counted as a problem), and
 * a lead records the resolution by reopening and closing it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { incidentDetailResponse, syncBatchResponse, timelineResponse } from '../../shared/api.ts';
import { addTimelineEntry, closeIncident, readMeta, readTimeline, setStatus } from '../../shared/incident-doc.ts';
import { connectClient, startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

async function create(title: string): Promise<string> {
  const r = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title } });
  expect(r.status).toBe(201);
  const id = incidentDetailResponse.parse(await r.json()).id;
  expect((await ts.fetch(`/api/v1/incidents/${id}`, { method: 'PATCH', json: { status: 'triage' } })).status).toBe(200);
  return id;
}

/** The incident as the API answers it, once the projector has caught up with the document. */
async function projected(
  id: string,
): Promise<{ detail: ReturnType<typeof incidentDetailResponse.parse>; timeline: ReturnType<typeof timelineResponse.parse> }> {
  await ts.server.projector.flush();
  const detail = incidentDetailResponse.parse(await (await ts.fetch(`/api/v1/incidents/${id}`)).json());
  const timeline = timelineResponse.parse(await (await ts.fetch(`/api/v1/incidents/${id}/timeline`)).json());
  return { detail, timeline };
}

/** A device's copy of the incident as the server holds it now, and the server's state vector. */
async function deviceCopy(id: string): Promise<{ doc: Y.Doc; serverVector: Uint8Array }> {
  const { update, vector } = await ts.server.docs.withDoc(id, (doc) => ({ update: Y.encodeStateAsUpdate(doc), vector: Y.encodeStateVector(doc) }));
  const doc = new Y.Doc({ guid: id });
  Y.applyUpdate(doc, update);
  return { doc, serverVector: vector };
}

async function pushBatch(id: string, doc: Y.Doc, serverVector: Uint8Array, as?: TestIdentity): Promise<ReturnType<typeof syncBatchResponse.parse>> {
  const r = await ts.fetch('/api/v1/sync/batch', {
    method: 'POST',
    as: as ?? (await ts.as('analyst')),
    json: { docs: [{ id, state_vector: b64(Y.encodeStateVector(doc)), update: b64(Y.encodeStateAsUpdate(doc, serverVector)) }] },
  });
  expect(r.status).toBe(200);
  return syncBatchResponse.parse(await r.json());
}

describe('closing over sync', () => {
  it('accepts a closing with its resolution from the socket and projects the resolution and summary', async () => {
    const id = await create('Closed on a tablet');
    const analyst = await ts.as('analyst');
    const device = connectClient(ts.wsUrl, id, { as: analyst });
    await device.synced();
    expect(closeIncident(device.doc, { resolution: 'benign_true_positive', summary: 'Admin testing the VPN' }, analyst.user.display_name).ok).toBe(true);
    await waitFor(async () => (await ts.server.docs.withDoc(id, (doc) => readMeta(doc).status)) === 'closed', { message: 'the closing on the server' });
    device.destroy();
    const { detail, timeline } = await projected(id);
    expect(detail).toMatchObject({ status: 'closed', resolution: 'benign_true_positive', closing_summary: 'Admin testing the VPN' });
    expect(detail.closed_at).not.toBeNull();
    const closing = timeline.items.find((e) => e.kind === 'status_change' && e.data?.['to'] === 'closed');
    expect(closing).toMatchObject({
      author: analyst.user.display_name,
      text: 'Admin testing the VPN',
      data: { from: 'triage', to: 'closed', resolution: 'benign_true_positive' },
    });
    // Nothing was written back: no guard correction.
    expect(timeline.items.filter((e) => e.data?.['correction'] !== undefined)).toEqual([]);
  });

  it('accepts a closing with its resolution from the batch sync, with the offline notes written before it', async () => {
    const id = await create('Closed offline');
    const { doc, serverVector } = await deviceCopy(id);
    addTimelineEntry(doc, { kind: 'note', text: 'Confirmed with the owner (offline)', author: 'Analyst Offline' });
    expect(closeIncident(doc, { resolution: 'false_positive', summary: 'Scanner of the red team' }, 'Analyst Offline').ok).toBe(true);
    expect((await pushBatch(id, doc, serverVector)).errors).toEqual([]);
    const { detail, timeline } = await projected(id);
    expect(detail).toMatchObject({ status: 'closed', resolution: 'false_positive', closing_summary: 'Scanner of the red team' });
    expect(timeline.items.map((e) => e.text)).toContain('Confirmed with the owner (offline)');
  });

  it('keeps a closing without a resolution (an old app) and everything written with it, projected with no resolution; a lead records one by closing again', async () => {
    const id = await create('Closed by an old app');
    const { doc, serverVector } = await deviceCopy(id);
    const oldApp = await ts.as('analyst');
    const name = oldApp.user.display_name;
    // The old app's way: the status alone, in the same offline session as a note and a field.
    addTimelineEntry(doc, { kind: 'note', text: 'Reimaged the laptop (offline)', author: name });
    expect(setStatus(doc, 'closed', name, { reason: 'done' }).ok).toBe(true);
    addTimelineEntry(doc, { kind: 'note', text: 'Written after closing (offline)', author: name });
    const pushed = await pushBatch(id, doc, serverVector, oldApp);
    expect(pushed.errors).toEqual([]);

    // Nothing the device wrote is lost: the note before, the closing, the note after.
    const server = await ts.server.docs.withDoc(id, (d) => ({ meta: readMeta(d), texts: readTimeline(d).map((e) => e.text) }));
    expect(server.meta.status).toBe('closed');
    expect(server.texts).toEqual(expect.arrayContaining(['Reimaged the laptop (offline)', 'Written after closing (offline)']));
    // ... and the projection does not invent a resolution.
    const { detail, timeline } = await projected(id);
    expect(detail).toMatchObject({ status: 'closed', resolution: null, closing_summary: null });
    expect(timeline.items.find((e) => e.kind === 'status_change' && e.data?.['to'] === 'closed')).toMatchObject({ author: name, text: 'done' });
    expect(timeline.items.find((e) => e.kind === 'status_change' && e.data?.['to'] === 'closed')?.data?.['resolution']).toBeUndefined();
    expect(timeline.items.filter((e) => e.data?.['correction'] !== undefined)).toEqual([]);

    // A lead reopens it and closes it with the resolution: it is recorded as any closing.
    const lead = await ts.as('lead');
    expect(
      (await ts.fetch(`/api/v1/incidents/${id}`, { method: 'PATCH', as: lead, json: { status: 'triage', status_reason: 'closed without a resolution' } }))
        .status,
    ).toBe(200);
    const closed = await ts.fetch(`/api/v1/incidents/${id}`, {
      method: 'PATCH',
      as: lead,
      json: { status: 'closed', resolution: 'true_positive', closing_summary: 'Malware removed by reimaging' },
    });
    expect(closed.status).toBe(200);
    expect((await projected(id)).detail).toMatchObject({ status: 'closed', resolution: 'true_positive', closing_summary: 'Malware removed by reimaging' });
  });

  it('projects a resolution that is not one of the known ones as none, counted as a problem', async () => {
    const id = await create('Closed by a hostile client');
    const { doc, serverVector } = await deviceCopy(id);
    expect(setStatus(doc, 'closed', 'Hostile').ok).toBe(true);
    doc.transact(() => {
      doc.getMap('meta').set('resolution', 'solved_it_myself');
      doc.getMap('meta').set('closingSummary', 'x'.repeat(2_000));
    });
    expect((await pushBatch(id, doc, serverVector)).errors).toEqual([]);
    const { detail } = await projected(id);
    expect(detail).toMatchObject({ status: 'closed', resolution: null, closing_summary: null });
    const [row] = await ts.server.sql<{ problems: number }[]>`SELECT problems FROM incidents WHERE id = ${id}`;
    expect(row?.problems).toBeGreaterThanOrEqual(2);
  });
});

// @vitest-environment node
/**
 * Background sync over HTTP: POST /api/v1/sync/batch and GET /api/v1/sync/changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { syncBatchResponse, syncChangesResponse, type SyncBatchRequest } from '../../shared/api.ts';
import { addTimelineEntry, createIncident, readIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { SERVER_ORIGIN } from '../../shared/incident-doc.ts';

let db: TestDatabase;
let ts: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  ts = await startTestServer({ db });
});
afterAll(async () => {
  await ts.stop();
  await db.drop();
});

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

async function batch(body: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${ts.server.url}/api/v1/sync/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ts.admin.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

async function documentRows(id: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM documents WHERE id = ${id}`;
  return r?.n ?? 0;
}

describe('POST /api/v1/sync/batch', () => {
  it('SY20: applies the device update, answers what the device lacks, and then nothing new', async () => {
    const id = newId();
    const device = new Y.Doc({ guid: id });
    createIncident(device, { title: 'Pushed in the background', createdBy: 'tablet' });
    const first = await batch({
      docs: [{ id, state_vector: b64(Y.encodeStateVector(device)), update: b64(Y.encodeStateAsUpdate(device)) }],
    } satisfies SyncBatchRequest);
    expect(first.status).toBe(200);
    const r1 = syncBatchResponse.parse(first.json);
    expect(r1.errors).toEqual([]);
    // The update is stored before the answer.
    expect(await documentRows(id)).toBe(1);
    // Let the projector assign the key, and write something else on the server.
    await ts.server.projector.flush();
    await ts.server.docs.withDoc(id, (doc) => addTimelineEntry(doc, { kind: 'automation', author: 'playbook', text: 'isolated host' }, SERVER_ORIGIN));
    const serverSv = r1.docs[0]?.state_vector ?? '';
    const second = syncBatchResponse.parse(
      (await batch({ docs: [{ id, state_vector: b64(Y.encodeStateVector(device)), update: b64(Y.encodeStateAsUpdate(device, bytes(serverSv))) }] })).json,
    );
    Y.applyUpdate(device, bytes(second.docs[0]?.update ?? ''));
    const read = readIncident(device);
    expect(read?.incident.meta.key).toMatch(/^IR-/);
    expect(read?.incident.timeline.map((e) => e.text)).toContain('isolated host');
    const serverState = await ts.server.docs.withDoc(id, (doc) => Y.snapshot(doc));
    expect(Y.equalSnapshots(Y.snapshot(device), serverState)).toBe(true);
    const third = syncBatchResponse.parse((await batch({ docs: [{ id, state_vector: b64(Y.encodeStateVector(device)) }] })).json);
    const empty = new Y.Doc();
    Y.applyUpdate(empty, bytes(third.docs[0]?.update ?? ''));
    expect(Y.encodeStateVector(empty)).toEqual(Y.encodeStateVector(new Y.Doc()));
    expect(third.docs[0]?.state_vector).toBe(b64(Y.encodeStateVector(device)));
  });

  it('SY20: reports a per-document error for an update that does not decode, the others unaffected', async () => {
    const good = newId();
    const bad = newId();
    const device = new Y.Doc({ guid: good });
    createIncident(device, { title: 'Good one', createdBy: 'tablet' });
    const r = await batch({
      docs: [
        { id: bad, state_vector: 'AA==', update: b64(new Uint8Array([9, 9, 9, 9, 9])) },
        { id: good, state_vector: 'AA==', update: b64(Y.encodeStateAsUpdate(device)) },
      ],
    });
    expect(r.status).toBe(200);
    const body = syncBatchResponse.parse(r.json);
    expect(body.errors.map((e) => [e.id, e.code])).toEqual([[bad, 'bad_request']]);
    expect(body.docs.map((d) => d.id)).toEqual([good]);
    expect(await documentRows(bad)).toBe(0);
    expect(await documentRows(good)).toBe(1);
  });

  it('refuses bad base64, malformed JSON and too many documents with 400, changing nothing', async () => {
    const id = newId();
    const badB64 = await batch({ docs: [{ id, state_vector: '!!not base64!!' }] });
    expect(badB64.status).toBe(400);
    expect((badB64.json as { error: { message: string } }).error.message).toContain('docs.0.state_vector');
    expect((await batch('{"docs": [')).status).toBe(400);
    const many = Array.from({ length: 201 }, () => ({ id: newId(), state_vector: 'AA==' }));
    expect((await batch({ docs: many })).status).toBe(400);
    expect((await batch({ docs: [{ id: 'nope', state_vector: 'AA==' }] })).status).toBe(400);
    expect(await documentRows(id)).toBe(0);
  });

  it('refuses a body over the limit with 413 and a JSON error', async () => {
    const id = newId();
    const huge = JSON.stringify({ docs: [{ id, state_vector: 'AA==', update: 'A'.repeat(17 * 1024 * 1024) }] });
    const r = await batch(huge);
    expect(r.status).toBe(413);
    expect((r.json as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect(await documentRows(id)).toBe(0);
  });
});

describe('GET /api/v1/sync/changes', () => {
  it('SY22: lists documents changed after the cursor, in order, with paging', async () => {
    const start = syncChangesResponse.parse(await (await ts.fetch(`/api/v1/sync/changes?limit=5000`)).json());
    let cursor = start.cursor;
    while (true) {
      const page = syncChangesResponse.parse(await (await ts.fetch(`/api/v1/sync/changes?since=${cursor}&limit=5000`)).json());
      cursor = page.cursor;
      if (!page.more) break;
    }
    const ids = [newId(), newId(), newId()];
    for (const id of ids) {
      const d = new Y.Doc({ guid: id });
      createIncident(d, { title: 'changes', createdBy: 't' });
      await batch({ docs: [{ id, state_vector: 'AA==', update: b64(Y.encodeStateAsUpdate(d)) }] });
    }
    const p1 = syncChangesResponse.parse(await (await ts.fetch(`/api/v1/sync/changes?since=${cursor}&limit=2`)).json());
    expect(p1.more).toBe(true);
    const p2 = syncChangesResponse.parse(await (await ts.fetch(`/api/v1/sync/changes?since=${p1.cursor}&limit=100`)).json());
    const seen = [...p1.changes, ...p2.changes].map((c) => c.id);
    for (const id of ids) expect(seen).toContain(id);
    // Ordered by the sequence of each document's latest change (the server's own key assignment
    // may move a document after the ones created later), and the second page starts after the first.
    const seqs = (page: typeof p1): number[] => page.changes.map((c) => c.seq);
    for (const page of [p1, p2]) expect(seqs(page)).toEqual([...seqs(page)].sort((a, b) => a - b));
    for (const seq of seqs(p2)) expect(seq).toBeGreaterThan(p1.cursor);
    const bad = await ts.fetch(`/api/v1/sync/changes?since=-4`);
    expect(bad.status).toBe(400);
  });
});

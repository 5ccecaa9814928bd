// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { descriptionText, readMeta, setFields } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { exchange, syncOnce, type BatchSyncDeps } from './batch-sync.ts';
import { updatesTable, type SentpilotDb } from './db.ts';
import { loadStoredDoc } from './doc-storage.ts';
import { fromB64 } from './state-vectors.ts';
import { createSyncApi } from './sync-api.ts';
import { documentsToExchange, pendingTotals, readChangesCursor, recordLocalEdits } from './sync-state.ts';
import { createFakeSyncServer, type FakeSyncServer } from './testing/fake-sync-server.ts';
import { editStored, makeDb, makeIncidentDoc, seedLocalIncident } from './testing/fixtures.ts';

const dbs: SentpilotDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function setup(opts: { chunkSize?: number; now?: () => number } = {}): { db: SentpilotDb; server: FakeSyncServer; deps: BatchSyncDeps } {
  const db = makeDb();
  dbs.push(db);
  const server = createFakeSyncServer();
  const deps: BatchSyncDeps = { db, api: createSyncApi({ fetch: server.fetch }), liveDoc: () => null, now: opts.now ?? Date.now, chunkSize: opts.chunkSize };
  return { db, server, deps };
}

describe('batch sync', () => {
  it('pushes an incident created on the device with its whole state and marks it synced', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { title: 'Ransomware on FS01', severity: 'S1' });

    const outcome = await syncOnce(deps);

    expect(outcome).toMatchObject({ kind: 'ok', report: { exchanged: [id], refused: [] } });
    expect(server.batches).toHaveLength(1);
    const sent = server.batches[0]?.docs[0];
    expect(sent?.id).toBe(id);
    expect(typeof sent?.state_vector).toBe('string');
    expect(sent?.update).toBeTypeOf('string');
    expect(readMeta(server.doc(id)).title).toBe('Ransomware on FS01');
    const state = await db.syncState.get(id);
    expect(state).toMatchObject({ dirty: 0, pending: 0, pull: 0, error: null });
    expect(state?.serverSV).toBeInstanceOf(Uint8Array);
    expect(await pendingTotals(db)).toEqual({ changes: 0, documents: 0, errors: 0 });
  });

  it('sends only what the server lacks once it has the document', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { description: 'x'.repeat(5_000) });
    await syncOnce(deps);
    await editStored(db, id, (doc) => setFields(doc, { title: 'Renamed offline' }, 'alice'));

    await syncOnce(deps);

    const second = server.batches.find((b, i) => i > 0 && b.docs.some((d) => d.id === id && d.update));
    const update = second?.docs.find((d) => d.id === id)?.update;
    expect(update).toBeDefined();
    expect(fromB64(update ?? '').length).toBeLessThan(1_000);
    expect(readMeta(server.doc(id)).title).toBe('Renamed offline');
  });

  it('sends a state vector without an update for a clean document', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db);
    await syncOnce(deps);
    server.batches.length = 0;

    await exchange(deps, [id]);

    expect(server.batches[0]?.docs).toEqual([{ id, state_vector: expect.any(String) }]);
  });

  it('pulls incidents created on another device from the change list and indexes them', async () => {
    const { db, server, deps } = setup();
    const remote = makeIncidentDoc({ title: 'Phishing wave', severity: 'S2', tags: ['email'] });
    Y.applyUpdate(server.doc(remote.guid), Y.encodeStateAsUpdate(remote));
    server.touch(remote.guid);

    const outcome = await syncOnce(deps);

    expect(outcome).toMatchObject({ kind: 'ok', announced: 1 });
    const row = await db.incidents.get(remote.guid);
    expect(row).toMatchObject({ id: remote.guid, title: 'Phishing wave', severity: 'S2', status: 'new', tags: ['email'], key: null });
    expect(readMeta(await loadStoredDoc(db, remote.guid)).title).toBe('Phishing wave');
    expect(await readChangesCursor(db)).toBeGreaterThan(0);
  });

  it('applies a remote edit to a stored document and re-indexes it', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { title: 'Before' });
    await syncOnce(deps);
    setFields(server.doc(id), { title: 'After', severity: 'S1' }, 'bob');
    server.touch(id);

    await syncOnce(deps);

    expect(await db.incidents.get(id)).toMatchObject({ title: 'After', severity: 'S1' });
    expect(readMeta(await loadStoredDoc(db, id)).severity).toBe('S1');
  });

  it('stores a remote edit that only deletes text (no new items, only deletions)', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { description: 'keep this, drop that' });
    await syncOnce(deps);
    descriptionText(server.doc(id)).delete(9, 11);
    server.touch(id);

    await syncOnce(deps);

    expect(descriptionText(await loadStoredDoc(db, id)).toString()).toBe('keep this');
  });

  it('stores nothing when the answer brings nothing new', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { title: 'Quiet' });
    await syncOnce(deps);
    const rows = await updatesTable(db).where('k').equals(id).count();
    server.touch(id);

    await syncOnce(deps);

    expect(await updatesTable(db).where('k').equals(id).count()).toBe(rows);
  });

  it('marks a refused document and keeps syncing the others', async () => {
    let now = 1_000_000;
    const { db, server, deps } = setup({ now: () => now });
    const good = await seedLocalIncident(db, { title: 'Good' });
    const bad = await seedLocalIncident(db, { title: 'Bad' });
    server.refuse.set(bad, 'invalid_update');

    const outcome = await syncOnce(deps);

    expect(outcome).toMatchObject({ kind: 'ok', report: { exchanged: [good], refused: [{ id: bad, code: 'invalid_update' }] } });
    expect(readMeta(server.doc(good)).title).toBe('Good');
    const state = await db.syncState.get(bad);
    expect(state).toMatchObject({ dirty: 1, failures: 1, error: { code: 'invalid_update' } });
    expect(state?.retryAt).toBeGreaterThan(now);
    expect(await pendingTotals(db)).toMatchObject({ documents: 1, errors: 1 });
    // Skipped while its backoff runs, retried after it.
    expect(await documentsToExchange(db, now)).toEqual([]);
    now += 60_000;
    server.refuse.clear();
    await syncOnce(deps);
    expect(await db.syncState.get(bad)).toMatchObject({ dirty: 0, error: null, failures: 0 });
  });

  it('reports a network failure as transient and keeps local changes pending', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db);
    server.offline = true;

    const outcome = await syncOnce(deps);

    expect(outcome).toMatchObject({ kind: 'failed', transient: true, failure: { kind: 'network' } });
    expect(await db.syncState.get(id)).toMatchObject({ dirty: 1, pending: 1, error: null });
    server.offline = false;
    expect(await syncOnce(deps)).toMatchObject({ kind: 'ok' });
    expect(await db.syncState.get(id)).toMatchObject({ dirty: 0, pending: 0 });
  });

  it('treats a 503 for the whole request as transient, not as a per-document refusal', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db);
    server.failWith = 503;

    const outcome = await syncOnce(deps);

    expect(outcome).toMatchObject({ kind: 'failed', transient: true, failure: { kind: 'http', status: 503 } });
    expect(await db.syncState.get(id)).toMatchObject({ dirty: 1, error: null });
  });

  it('splits the exchange into calls of at most the chunk size', async () => {
    const { db, server, deps } = setup({ chunkSize: 2 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await seedLocalIncident(db, { title: `Incident ${i}` }));

    await syncOnce(deps);

    expect(server.batches.map((b) => b.docs.length)).toEqual([2, 2, 1]);
    for (const id of ids) expect(server.docs.has(id)).toBe(true);
  });

  it('never sends more than 200 documents in one call', async () => {
    const { db, server, deps } = setup({ chunkSize: 10_000 });
    const ids = Array.from({ length: 205 }, () => newId());
    await db.syncState.bulkPut(
      ids.map((id) => ({
        id,
        dirty: 0 as const,
        pull: 1 as const,
        pending: 0,
        editSeq: 0,
        serverSV: null,
        error: null,
        failures: 0,
        retryAt: 0,
        syncedAt: null,
      })),
    );

    await syncOnce(deps);

    expect(server.batches.map((b) => b.docs.length)).toEqual([200, 5]);
  });

  it('keeps a document dirty when it was edited while its exchange was in flight', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db);
    const api = createSyncApi({
      fetch: async (input, init) => {
        if (input.includes('/sync/batch')) await recordLocalEdits(db, id, 2);
        return server.fetch(input, init);
      },
    });

    await syncOnce({ ...deps, api });

    expect(await db.syncState.get(id)).toMatchObject({ dirty: 1, pending: 2 });
  });

  it('applies the answer to the live document when it is open on screen', async () => {
    const { db, server, deps } = setup();
    const id = await seedLocalIncident(db, { title: 'Open on screen' });
    await syncOnce(deps);
    const live = await loadStoredDoc(db, id);
    setFields(server.doc(id), { assignee: 'carol' }, 'bob');
    server.touch(id);

    await syncOnce({ ...deps, liveDoc: (docId) => (docId === id ? live : null) });

    expect(readMeta(live).assignee).toBe('carol');
  });
});

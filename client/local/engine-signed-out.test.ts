// @vitest-environment node
/** The engine when the session ends: a 401 puts it in `signed-out`, no edit is lost, a login resumes. */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addTimelineEntry, readMeta, readTimeline } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import type { SentpilotDb } from './db.ts';
import { createLocalEngine, type LocalEngine } from './local-engine.ts';
import { createSyncApi } from './sync-api.ts';
import { createFakeSyncServer, type FakeSyncServer } from './testing/fake-sync-server.ts';
import { makeDb } from './testing/fixtures.ts';
import { makeUser } from './user-identity.ts';

const engines: { engine: LocalEngine; db: SentpilotDb }[] = [];
afterEach(async () => {
  for (const { engine, db } of engines.splice(0)) {
    await engine.stop();
    db.close();
  }
});

function setup(): { engine: LocalEngine; db: SentpilotDb; server: FakeSyncServer; events: EventTarget } {
  const db = makeDb();
  const server = createFakeSyncServer();
  const events = new EventTarget();
  const engine = createLocalEngine({
    db,
    api: createSyncApi({ fetch: server.fetch }),
    wsUrl: null,
    events,
    isOnline: () => !server.offline,
    user: makeUser('Alice'),
    lingerMs: 0,
  });
  engines.push({ engine, db });
  return { engine, db, server, events };
}

const waitFor = <T>(fn: () => T | Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 5_000, interval: 20 });

describe('local engine when the session ends', () => {
  it('goes signed-out on a 401, keeps every edit, and syncs them all after the login', async () => {
    const { engine, db, server } = setup();
    engine.start();
    const id = await engine.createIncident({ title: 'Exfiltration', createdBy: 'Alice' });
    await engine.syncNow();
    expect(readMeta(server.doc(id)).title).toBe('Exfiltration');

    server.unauthenticated = true;
    const opened = await engine.open(id);
    if (opened.kind !== 'open') throw new Error(opened.kind);
    addTimelineEntry(opened.session.doc, { kind: 'note', text: 'written before the 401', author: 'Alice' });
    await opened.session.flush();
    await engine.syncNow();
    await waitFor(() => expect(engine.connection.get().status).toBe('signed-out'));

    // Still signed out: more edits are kept (and counted), and nothing is sent.
    addTimelineEntry(opened.session.doc, { kind: 'note', text: 'written while signed out', author: 'Alice' });
    await opened.session.flush();
    const batchesBefore = server.batches.length;
    await engine.syncNow();
    expect(server.batches.length).toBe(batchesBefore);
    await waitFor(() => expect(engine.connection.get().pending).toBeGreaterThan(0));
    // A refusal for lack of a session is not a refusal of the document.
    expect((await db.syncState.get(id))?.error).toBeNull();
    expect(engine.connection.get().status).toBe('signed-out');

    server.unauthenticated = false;
    engine.signedIn(makeUser('Alice'));

    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'online', pending: 0 }));
    const notes = readTimeline(server.doc(id)).map((e) => e.text);
    expect(notes).toEqual(expect.arrayContaining(['written before the 401', 'written while signed out']));
    opened.release();
  });

  it('creates incidents while signed out and sends them after the login', async () => {
    const { engine, server } = setup();
    server.unauthenticated = true;
    engine.start();
    await waitFor(() => expect(engine.connection.get().status).toBe('signed-out'));
    const id = await engine.createIncident({ title: 'Made while signed out', createdBy: 'Alice' });
    await waitFor(() => expect(engine.connection.get().pending).toBe(1));

    server.unauthenticated = false;
    engine.signedIn(makeUser('Alice'));
    await waitFor(() => expect(readMeta(server.doc(id)).title).toBe('Made while signed out'));
    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'online', pending: 0 }));
  });

  it('says signed-out when an incident not on this device needs a login to fetch', async () => {
    const { engine, server } = setup();
    server.unauthenticated = true;
    expect(await engine.open(newId())).toEqual({ kind: 'signed-out' });
    expect(engine.connection.get().status).toBe('signed-out');
  });

  it('goes signed-out when told (a 401 seen by another API call)', async () => {
    const { engine, server } = setup();
    engine.start();
    await engine.syncNow();
    engine.markSignedOut();
    expect(engine.connection.get().status).toBe('signed-out');
    const calls = server.calls.length;
    await engine.syncNow();
    expect(server.calls.length).toBe(calls);
  });
});

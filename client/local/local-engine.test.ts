// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { addTimelineEntry, readMeta, readTimeline, setFields } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import type { SentpilotDb } from './db.ts';
import { createLocalEngine, type LocalEngine } from './local-engine.ts';
import { createSyncApi } from './sync-api.ts';
import { createFakeSyncServer, type FakeSyncServer } from './testing/fake-sync-server.ts';
import { makeDb, makeIncidentDoc } from './testing/fixtures.ts';
import { makeUser } from './user-identity.ts';

const engines: { engine: LocalEngine; db: SentpilotDb }[] = [];
afterEach(async () => {
  for (const { engine, db } of engines.splice(0)) {
    await engine.stop();
    db.close();
  }
});

function setup(opts: { online?: () => boolean } = {}): { engine: LocalEngine; db: SentpilotDb; server: FakeSyncServer; events: EventTarget } {
  const db = makeDb();
  const server = createFakeSyncServer();
  const events = new EventTarget();
  const engine = createLocalEngine({
    db,
    api: createSyncApi({ fetch: server.fetch }),
    wsUrl: null,
    events,
    isOnline: opts.online ?? (() => !server.offline),
    user: makeUser('Alice'),
    lingerMs: 0,
  });
  engines.push({ engine, db });
  return { engine, db, server, events };
}

const waitFor = <T>(fn: () => T | Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 5_000, interval: 20 });

describe('local engine', () => {
  it('creates an incident offline, indexes it and counts it as a pending change', async () => {
    const { engine, db, server } = setup();
    server.offline = true;
    engine.start();

    const id = await engine.createIncident({ title: 'Lost laptop', severity: 'S2', createdBy: 'Alice' });

    expect(await db.incidents.get(id)).toMatchObject({ id, title: 'Lost laptop', severity: 'S2', status: 'new', key: null, timelineCount: 1 });
    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'offline', pending: 1, pendingDocs: 1 }));
  });

  it('updates the local index when an open document changes', async () => {
    const { engine, db } = setup();
    engine.start();
    const id = await engine.createIncident({ title: 'Before', createdBy: 'Alice' });
    const opened = await engine.open(id);
    if (opened.kind !== 'open') throw new Error(opened.kind);

    setFields(opened.session.doc, { title: 'After', severity: 'S1', assignee: 'bob' }, 'Alice');
    addTimelineEntry(opened.session.doc, { kind: 'note', text: 'first note', author: 'Alice' });

    await waitFor(async () => expect(await db.incidents.get(id)).toMatchObject({ title: 'After', severity: 'S1', assignee: 'bob' }));
    // setFields wrote a field_change entry for severity and assignee, plus our note.
    expect((await db.incidents.get(id))?.timelineCount).toBe(readTimeline(opened.session.doc).length);
    opened.release();
  });

  it('pushes local edits in the background and clears the pending count', async () => {
    const { engine, server } = setup();
    engine.start();
    const id = await engine.createIncident({ title: 'Beaconing host', createdBy: 'Alice' });

    await engine.syncNow();

    expect(readMeta(server.doc(id)).title).toBe('Beaconing host');
    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'online', pending: 0 }));
  });

  it('goes offline when the server is unreachable and syncs when the network returns', async () => {
    const { engine, server, events } = setup();
    engine.start();
    await engine.syncNow();
    server.offline = true;
    const id = await engine.createIncident({ title: 'Made offline', createdBy: 'Alice' });
    await engine.syncNow();
    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'offline', pending: 1 }));

    server.offline = false;
    events.dispatchEvent(new Event('online'));

    await waitFor(() => expect(engine.connection.get()).toMatchObject({ status: 'online', pending: 0 }));
    expect(readMeta(server.doc(id)).title).toBe('Made offline');
  });

  it('opens an incident this device has never seen by fetching it from the server', async () => {
    const { engine, server } = setup();
    const remote = makeIncidentDoc({ title: 'Created elsewhere' });
    Y.applyUpdate(server.doc(remote.guid), Y.encodeStateAsUpdate(remote));

    const opened = await engine.open(remote.guid);

    expect(opened.kind).toBe('open');
    if (opened.kind === 'open') {
      expect(readMeta(opened.session.doc).title).toBe('Created elsewhere');
      opened.release();
    }
  });

  it('reports an unknown incident as not found, and says when the server cannot be asked', async () => {
    const { engine, server } = setup();
    expect(await engine.open(newId())).toEqual({ kind: 'not-found' });
    expect(await engine.open('not-a-uuid')).toEqual({ kind: 'not-found' });
    server.offline = true;
    expect(await engine.open(newId())).toMatchObject({ kind: 'unreachable' });
  });

  it('shares one session between two views of the same incident', async () => {
    const { engine } = setup();
    const id = await engine.createIncident({ title: 'Shared', createdBy: 'Alice' });
    const [a, b] = await Promise.all([engine.open(id), engine.open(id)]);
    if (a.kind !== 'open' || b.kind !== 'open') throw new Error('not open');
    expect(a.session).toBe(b.session);
    a.release();
    b.release();
  });

  it('persists edits made in a session across closing and reopening', async () => {
    const { engine } = setup();
    const id = await engine.createIncident({ title: 'Persist me', createdBy: 'Alice' });
    const first = await engine.open(id);
    if (first.kind !== 'open') throw new Error(first.kind);
    setFields(first.session.doc, { title: 'Persisted' }, 'Alice');
    first.release();
    await new Promise((r) => setTimeout(r, 50));

    const second = await engine.open(id);
    if (second.kind !== 'open') throw new Error(second.kind);
    expect(second.session).not.toBe(first.session);
    expect(readMeta(second.session.doc).title).toBe('Persisted');
    second.release();
  });

  it('loads a stored incident without handing the load to update listeners, and stores edits made after it', async () => {
    const { engine, db } = setup();
    const id = await engine.createIncident({ title: 'Loaded quietly', createdBy: 'Alice' });
    const record = await db.incidents.get(id);
    if (!record) throw new Error('no row');
    const seen: unknown[] = [];
    record.doc.on('updateV2', (_u: Uint8Array, origin: unknown) => seen.push(origin));

    const opened = await engine.open(id);
    if (opened.kind !== 'open') throw new Error(opened.kind);

    expect(opened.session.doc).toBe(record.doc);
    expect(readMeta(opened.session.doc).title).toBe('Loaded quietly');
    expect(seen).toEqual([]);
    setFields(opened.session.doc, { title: 'Edited after the load' }, 'Alice');
    expect(seen).toHaveLength(1);
    opened.release();
    await waitFor(async () => {
      const reopened = await engine.open(id);
      if (reopened.kind !== 'open') throw new Error(reopened.kind);
      const title = readMeta(reopened.session.doc).title;
      reopened.release();
      expect(title).toBe('Edited after the load');
    });
  });
});

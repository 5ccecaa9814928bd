// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as decoding from 'lib0/decoding';
import { addTimelineEntry, createIncident, readIncident, readMeta, SERVER_ORIGIN, setIncidentKey } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { createLogger } from '../logger.ts';
import { HOSTILE_UPDATE } from '../testing/hostile-update.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createDocumentManager } from './document-manager.ts';
import type { DocPeer, DocumentManager, DocumentManagerOptions } from './document-types.ts';
import { createMemoryDocumentStore, type MemoryDocumentStore } from './memory-document-store.ts';
import { MESSAGE } from './protocol.ts';

const logger = createLogger({ level: 'silent' });
const managers: DocumentManager[] = [];

function manager(store: MemoryDocumentStore, opts: Partial<DocumentManagerOptions> = {}): DocumentManager {
  const m = createDocumentManager({ store, logger, lingerMs: 60_000, ...opts });
  managers.push(m);
  return m;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

/** A peer that applies what it is sent to its own document, like a y-websocket client. */
function fakePeer(): DocPeer & { doc: Y.Doc; messages: Uint8Array[]; closed: { code: number; reason: string } | null; awarenessMessages: number } {
  const doc = new Y.Doc();
  const peer = {
    doc,
    messages: [] as Uint8Array[],
    closed: null as { code: number; reason: string } | null,
    awarenessMessages: 0,
    send(m: Uint8Array) {
      peer.messages.push(m);
      const d = decoding.createDecoder(m);
      const kind = decoding.readVarUint(d);
      if (kind === MESSAGE.sync) {
        decoding.readVarUint(d);
        Y.applyUpdate(doc, decoding.readVarUint8Array(d));
      } else if (kind === MESSAGE.awareness) peer.awarenessMessages++;
    },
    close(code: number, reason: string) {
      peer.closed = { code, reason };
    },
  };
  return peer;
}

/** Updates a client makes, captured as it makes them. */
function recorder(doc: Y.Doc): Uint8Array[] {
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  return out;
}

describe('document manager', () => {
  it('relays an update to the other peers, not back to its sender, and stores it', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store);
    const id = newId();
    const h1 = await docs.open(id);
    const h2 = await docs.open(id);
    const a = fakePeer();
    const b = fakePeer();
    h1.addPeer(a);
    h2.addPeer(b);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Beaconing from build server', createdBy: 'alice' });
    for (const u of updates) expect(h1.applyUpdate(u, a).ok).toBe(true);
    expect(a.messages).toHaveLength(0);
    expect(readIncident(b.doc)?.incident.meta.title).toBe('Beaconing from build server');
    await docs.flush();
    const stored = await store.loadSince(id, 0);
    expect(stored.updates.length).toBeGreaterThan(0);
    h1.release();
    h2.release();
  });

  it('relays awareness to every peer including the sender, and forgets a peer that leaves', async () => {
    const docs = manager(createMemoryDocumentStore());
    const id = newId();
    const h = await docs.open(id);
    const a = fakePeer();
    const b = fakePeer();
    h.addPeer(a);
    h.addPeer(b);
    const client = new Y.Doc();
    const aw = new awarenessProtocol.Awareness(client);
    aw.setLocalStateField('user', { name: 'alice' });
    h.applyAwarenessUpdate(awarenessProtocol.encodeAwarenessUpdate(aw, [client.clientID]), a);
    expect(a.awarenessMessages).toBe(1);
    expect(b.awarenessMessages).toBe(1);
    expect(h.awareness.getStates().get(client.clientID)).toEqual({ user: { name: 'alice' } });
    h.removePeer(a);
    expect(h.awareness.getStates().has(client.clientID)).toBe(false);
    expect(b.awarenessMessages).toBe(2);
    aw.destroy();
    h.release();
  });

  it('SY1: refuses an update that does not decode and changes nothing', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store);
    const id = newId();
    const h = await docs.open(id);
    const before = Y.snapshot(h.doc);
    const r = h.applyUpdate(new Uint8Array([1, 2, 3, 250, 7]), 'test');
    expect(r.ok).toBe(false);
    expect(Y.equalSnapshots(before, Y.snapshot(h.doc))).toBe(true);
    await docs.flush();
    expect(store.updateCount(id)).toBe(0);
    h.release();
  });

  it('SY2: refuses an update Yjs would throw on before it touches the document', async () => {
    const docs = manager(createMemoryDocumentStore());
    const id = newId();
    const h = await docs.open(id);
    const other = fakePeer();
    h.addPeer(other);
    const before = Y.snapshot(h.doc);
    expect(h.applyUpdate(HOSTILE_UPDATE, 'attacker').ok).toBe(false);
    expect(other.closed).toBeNull();
    expect(docs.isLoaded(id)).toBe(true);
    expect(Y.equalSnapshots(before, Y.snapshot(h.doc))).toBe(true);
    h.release();
  });

  it('SY2: discards the in-memory copy when applying throws half-way, storing and relaying none of it', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store);
    const id = newId();
    const base = new Y.Doc();
    createIncident(base, { title: 'Target', createdBy: 'a' });
    const h = await docs.open(id);
    const other = fakePeer();
    h.addPeer(other);
    expect(h.applyUpdate(Y.encodeStateAsUpdate(base), 'seed').ok).toBe(true);
    await docs.flush();
    const rowsBefore = store.updateCount(id);
    // Stand-in for a Yjs failure during integration: the change is made, then the apply throws.
    h.doc.getMap('trap').observe(() => {
      throw new Error('integration failed');
    });
    const attacker = new Y.Doc();
    Y.applyUpdate(attacker, Y.encodeStateAsUpdate(base));
    const updates = recorder(attacker);
    attacker.getMap('trap').set('x', 1);
    const r = h.applyUpdate(updates[0] as Uint8Array, 'attacker');
    expect(r.ok).toBe(false);
    expect(other.closed?.code).toBe(1011);
    expect(other.doc.getMap('trap').has('x')).toBe(false);
    expect(docs.isLoaded(id)).toBe(false);
    await docs.flush();
    expect(store.updateCount(id)).toBe(rowsBefore);
    h.release();
    const fresh = await docs.open(id);
    expect(Y.equalSnapshots(Y.snapshot(fresh.doc), Y.snapshot(base))).toBe(true);
    fresh.release();
  });

  it('SY16: delivers a change made through one manager to a peer of another sharing the store', async () => {
    const store = createMemoryDocumentStore();
    const one = manager(store);
    const two = manager(store);
    await one.start();
    await two.start();
    const id = newId();
    const h1 = await one.open(id);
    const h2 = await two.open(id);
    const far = fakePeer();
    h2.addPeer(far);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Credential stuffing', createdBy: 'bob' });
    for (const u of updates) h1.applyUpdate(u, 'near');
    await waitFor(() => readIncident(far.doc)?.incident.meta.title === 'Credential stuffing', { message: 'relay through the store' });
    expect(Y.equalSnapshots(Y.snapshot(h1.doc), Y.snapshot(h2.doc))).toBe(true);
    h1.release();
    h2.release();
  });

  it('SY16: shares presence with the peers of another manager, and its removal when the peer leaves', async () => {
    const store = createMemoryDocumentStore();
    const one = manager(store);
    const two = manager(store);
    await one.start();
    await two.start();
    const id = newId();
    const h1 = await one.open(id);
    const h2 = await two.open(id);
    const near = fakePeer();
    const far = fakePeer();
    h1.addPeer(near);
    h2.addPeer(far);
    const client = new Y.Doc();
    const aw = new awarenessProtocol.Awareness(client);
    aw.setLocalStateField('user', { name: 'alice' });
    h1.applyAwarenessUpdate(awarenessProtocol.encodeAwarenessUpdate(aw, [client.clientID]), near);
    await waitFor(() => h2.awareness.getStates().has(client.clientID), { message: 'presence in the other manager' });
    expect(far.awarenessMessages).toBeGreaterThan(0);
    h1.removePeer(near);
    await waitFor(() => !h2.awareness.getStates().has(client.clientID), { message: 'removal in the other manager' });
    aw.destroy();
    h1.release();
    h2.release();
  });

  it('writes server changes with SERVER_ORIGIN to every peer', async () => {
    const docs = manager(createMemoryDocumentStore());
    const id = newId();
    const h = await docs.open(id);
    const peer = fakePeer();
    h.addPeer(peer);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Lost laptop', createdBy: 'carol' });
    for (const u of updates) h.applyUpdate(u, 'another client');
    await docs.withDoc(id, (doc) => setIncidentKey(doc, 'IR-2026-0007', SERVER_ORIGIN));
    expect(readMeta(peer.doc).key).toBe('IR-2026-0007');
    h.release();
  });

  it('SY19: unloads a document after the linger and reloads it with every stored update', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store, { lingerMs: 20 });
    const id = newId();
    const h = await docs.open(id);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Unload me', createdBy: 'dave' });
    for (let i = 0; i < 5; i++) addTimelineEntry(client, { kind: 'note', author: 'dave', text: `n${i}` });
    for (const u of updates) h.applyUpdate(u, 'c');
    h.release();
    expect(docs.isLoaded(id)).toBe(true);
    await waitFor(() => !docs.isLoaded(id), { message: 'unload' });
    const again = await docs.open(id);
    expect(Y.equalSnapshots(Y.snapshot(again.doc), Y.snapshot(client))).toBe(true);
    again.release();
  });

  it('SY19: keeps nothing per document once its documents are stored and unloaded (issue 11)', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store, { lingerMs: 5 });
    const ids = Array.from({ length: 50 }, () => newId());
    for (const [i, id] of ids.entries()) {
      const handle = await docs.open(id);
      const peer = fakePeer();
      handle.addPeer(peer);
      const client = new Y.Doc({ guid: id });
      createIncident(client, { title: `retained ${i}`, createdBy: 'test' });
      expect(handle.applyUpdate(Y.encodeStateAsUpdate(client), peer).ok).toBe(true);
      // A peer with presence, which leaves: its awareness goes with the document.
      const presence = new awarenessProtocol.Awareness(client);
      presence.setLocalState({ user: `u${i}` });
      handle.applyAwarenessUpdate(awarenessProtocol.encodeAwarenessUpdate(presence, [client.clientID]), peer);
      presence.destroy();
      handle.removePeer(peer);
      handle.release();
    }
    // Some documents also flushed one by one (a REST write waits for its document).
    await Promise.all(ids.slice(0, 10).map((id) => docs.flushDoc(id)));
    await docs.flush();
    await expect
      .poll(() => docs.stats(), { timeout: 5_000 })
      .toEqual({ loaded: 0, loading: 0, peers: 0, pendingDocs: 0, writerCounters: 0, compactionsQueued: 0 });
    expect(ids.every((id) => store.updateCount(id) > 0)).toBe(true);
  });

  it('SY12: keeps updates queued while the store fails and stores them once it recovers', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store);
    const id = newId();
    const h = await docs.open(id);
    store.failNextAppends(2);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Flaky database', createdBy: 'erin' });
    for (const u of updates) h.applyUpdate(u, 'c');
    await waitFor(() => store.updateCount(id) > 0 && docs.stats().pendingDocs === 0, { message: 'retry', timeoutMs: 5_000 });
    const stored = await store.loadSince(id, 0);
    const rebuilt = new Y.Doc();
    for (const u of stored.updates) Y.applyUpdate(rebuilt, u);
    expect(Y.equalSnapshots(Y.snapshot(rebuilt), Y.snapshot(client))).toBe(true);
    h.release();
  });

  it('SY18: compacts a document past the threshold without changing its state', async () => {
    const store = createMemoryDocumentStore();
    const docs = manager(store, { compactThreshold: 10, flushDelayMs: 0 });
    const id = newId();
    const h = await docs.open(id);
    const client = new Y.Doc();
    const updates = recorder(client);
    createIncident(client, { title: 'Busy incident', createdBy: 'frank' });
    for (let i = 0; i < 30; i++) {
      addTimelineEntry(client, { kind: 'note', author: 'frank', text: `entry ${i}` });
      for (const u of updates.splice(0)) h.applyUpdate(u, 'c');
      await docs.flush();
    }
    await waitFor(() => store.updateCount(id) < 10, { message: 'compaction' });
    const stored = await store.loadSince(id, 0);
    const rebuilt = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(rebuilt, stored.snapshot);
    for (const u of stored.updates) Y.applyUpdate(rebuilt, u);
    expect(Y.equalSnapshots(Y.snapshot(rebuilt), Y.snapshot(client))).toBe(true);
    h.release();
  });

  it('fuzz: random edits on several peers through two managers converge', async () => {
    const store = createMemoryDocumentStore();
    const one = manager(store);
    const two = manager(store);
    await one.start();
    await two.start();
    const id = newId();
    const handles = [await one.open(id), await two.open(id)];
    const clients = Array.from({ length: 4 }, () => new Y.Doc());
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const origin = new Y.Doc();
    createIncident(origin, { title: 'Fuzz', createdBy: 'fuzz' });
    for (const c of clients) Y.applyUpdate(c, Y.encodeStateAsUpdate(origin));
    handles[0]?.applyUpdate(Y.encodeStateAsUpdate(origin), 'seed');
    clients.forEach((c, i) => {
      const peer: DocPeer = {
        send(m) {
          const d = decoding.createDecoder(m);
          if (decoding.readVarUint(d) !== MESSAGE.sync) return;
          decoding.readVarUint(d);
          Y.applyUpdate(c, decoding.readVarUint8Array(d), 'server');
        },
        close() {},
      };
      const h = handles[i % 2];
      h?.addPeer(peer);
      c.on('update', (u: Uint8Array, o: unknown) => {
        if (o !== 'server') h?.applyUpdate(u, peer);
      });
    });
    for (let step = 0; step < 200; step++) {
      const c = clients[Math.floor(rand() * clients.length)] as Y.Doc;
      const r = rand();
      if (r < 0.4) addTimelineEntry(c, { kind: 'note', author: `u${step}`, text: `step ${step}` });
      else if (r < 0.7) c.getMap('meta').set('title', `title ${step}`);
      else {
        const t = c.getMap('meta').get('description');
        if (t instanceof Y.Text) t.insert(Math.floor(rand() * (t.length + 1)), `${step}`);
      }
      if (step % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await one.flush();
    await two.flush();
    await waitFor(() => clients.every((c) => Y.equalSnapshots(Y.snapshot(c), Y.snapshot(clients[0] as Y.Doc))), { message: 'convergence' });
    // The store holds everything too: a fresh load equals the clients.
    const fresh = createDocumentManager({ store, logger });
    managers.push(fresh);
    const loaded = await fresh.open(id);
    expect(Y.equalSnapshots(Y.snapshot(loaded.doc), Y.snapshot(clients[0] as Y.Doc))).toBe(true);
    loaded.release();
    expect(readIncident(clients[0] as Y.Doc)?.problems).toEqual([]);
    for (const h of handles) h.release();
  });
});

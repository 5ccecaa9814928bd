// @vitest-environment node
/**
 * The y-websocket endpoint against a real server and Postgres, with stock WebsocketProvider
 * clients: convergence, offline edits, malformed input, relaying between two server processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { SYNC_CLOSE } from '../../shared/api.ts';
import { addTask, addTimelineEntry, createIncident, descriptionText, readIncident, setFields } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { connectClient, pageOrigin, sameState, startTestServer, type Client, type TestServer } from '../testing/test-server.ts';
import { HOSTILE_UPDATE } from '../testing/hostile-update.ts';
import { waitFor } from '../testing/wait-for.ts';
import { encodeSyncStep1, encodeUpdateMessage } from './protocol.ts';

const MAX_MESSAGE = 256 * 1024;
let db: TestDatabase;
let ts: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  ts = await startTestServer({ db, maxMessageBytes: MAX_MESSAGE, keepaliveMs: 200 });
});
afterAll(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await ts.stop();
  await db.drop();
});

function client(id: string, wsUrl = ts.wsUrl): Client {
  const c = connectClient(wsUrl, id, { as: ts.admin });
  clients.push(c);
  return c;
}

/** A raw socket, for sending what no well-behaved client would. */
function rawSocket(path: string): Promise<{ ws: WebSocket; messages: Buffer[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${ts.wsUrl}/${path}`, { headers: ts.admin.headers, origin: pageOrigin(ts.wsUrl) });
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

async function newIncident(title: string): Promise<{ id: string; a: Client; b: Client }> {
  const id = newId();
  const a = client(id);
  const b = client(id);
  await Promise.all([a.synced(), b.synced()]);
  createIncident(a.doc, { title, createdBy: 'alice' });
  await waitFor(() => readIncident(b.doc)?.incident.meta.title === title, { message: 'incident at b' });
  return { id, a, b };
}

describe('websocket sync', () => {
  it('two clients editing one incident at once converge', async () => {
    const { a, b } = await newIncident('Concurrent edits');
    for (let i = 0; i < 20; i++) {
      addTimelineEntry(a.doc, { kind: 'note', author: 'alice', text: `a${i}` });
      addTimelineEntry(b.doc, { kind: 'note', author: 'bob', text: `b${i}` });
      descriptionText(a.doc).insert(0, 'A');
      descriptionText(b.doc).insert(0, 'B');
    }
    setFields(a.doc, { severity: 'S1' }, 'alice');
    addTask(b.doc, 'Isolate host');
    await waitFor(() => sameState(a.doc, b.doc), { message: 'convergence' });
    const ra = readIncident(a.doc);
    expect(ra?.incident.timeline.filter((e) => e.kind === 'note')).toHaveLength(40);
    expect(ra?.incident.meta.description).toHaveLength(40);
    expect(ra?.incident.tasks.map((t) => t.title)).toEqual(['Isolate host']);
    expect(ra?.incident).toEqual(readIncident(b.doc)?.incident);
  });

  it('an edit made while a client is disconnected arrives after it reconnects', async () => {
    const { id, a, b } = await newIncident('Offline edits');
    b.provider.disconnect();
    addTimelineEntry(a.doc, { kind: 'note', author: 'alice', text: 'written while bob was away' });
    addTimelineEntry(b.doc, { kind: 'note', author: 'bob', text: 'written offline' });
    // Once the server has the edit, a connected client would have it too; bob does not.
    await waitFor(() => ts.server.docs.withDoc(id, (doc) => readIncident(doc)?.incident.timeline.some((e) => e.text === 'written while bob was away')), {
      message: 'edit at the server',
    });
    expect(readIncident(b.doc)?.incident.timeline.some((e) => e.text === 'written while bob was away')).toBe(false);
    b.provider.connect();
    await waitFor(() => sameState(a.doc, b.doc), { message: 'convergence after reconnect' });
    const texts = readIncident(a.doc)?.incident.timeline.map((e) => e.text);
    expect(texts).toContain('written offline');
    expect(texts).toContain('written while bob was away');
  });

  it('relays awareness to other clients and back to the sender, and keeps quiet sockets alive', async () => {
    const { a, b } = await newIncident('Presence');
    a.provider.awareness.setLocalStateField('user', { name: 'alice' });
    // Relayed under the name of the identity on the socket (the server sets `user`).
    await waitFor(
      () => [...b.provider.awareness.getStates().values()].some((s) => (s as { user?: { name?: string } }).user?.name === ts.admin.user.display_name),
      {
        message: 'awareness at b',
      },
    );
    const raw = await rawSocket(newId());
    const seen = raw.messages.length;
    await waitFor(() => raw.messages.length >= seen + 2, { message: 'keepalives on a quiet socket' });
    raw.ws.close();
  });

  it('SY1: closes only the offending socket on malformed input and keeps serving', async () => {
    const { id, a, b } = await newIncident('Hostile input');
    const probe = async (label: string) => {
      addTimelineEntry(a.doc, { kind: 'note', author: 'alice', text: label });
      await waitFor(() => readIncident(b.doc)?.incident.timeline.some((e) => e.text === label), { message: `${label} at b` });
    };

    const garbage = await rawSocket(id);
    garbage.ws.send(Buffer.from([0xff, 0xfe, 0x13, 0x37, 0x00, 0x42]));
    expect((await garbage.closed).code).toBe(SYNC_CLOSE.malformedMessage.code);
    await probe('after garbage');

    const truncated = await rawSocket(id);
    const full = encodeUpdateMessage(Y.encodeStateAsUpdate(a.doc));
    truncated.ws.send(full.subarray(0, Math.floor(full.length / 2)));
    expect((await truncated.closed).code).toBe(SYNC_CLOSE.malformedMessage.code);
    await probe('after truncated');

    const text = await rawSocket(id);
    text.ws.send('hello');
    expect((await text.closed).code).toBe(SYNC_CLOSE.malformedMessage.code);

    const big = await rawSocket(id);
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, new Uint8Array(MAX_MESSAGE + 10));
    big.ws.send(encoding.toUint8Array(e));
    expect((await big.closed).code).toBe(SYNC_CLOSE.messageTooLarge.code);
    await probe('after oversized');

    const badRoom = await rawSocket('not-a-uuid');
    expect((await badRoom.closed).code).toBe(SYNC_CLOSE.badDocumentId.code);

    // A well-formed client still syncs the untouched document from scratch.
    const late = client(id);
    await late.synced();
    await waitFor(() => sameState(late.doc, a.doc), { message: 'late client' });
    const health = await fetch(`${ts.server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('SY2: refuses an update that decodes but Yjs would choke on: 4401 for its sender only', async () => {
    const { id, a, b } = await newIncident('Under attack');
    const closes: number[] = [];
    b.provider.on('connection-close', (e) => {
      if (e) closes.push(e.code);
    });
    const attacker = await rawSocket(id);
    attacker.ws.send(encodeUpdateMessage(HOSTILE_UPDATE));
    expect((await attacker.closed).code).toBe(SYNC_CLOSE.malformedMessage.code);
    addTimelineEntry(a.doc, { kind: 'note', author: 'alice', text: 'after the attack' });
    await waitFor(() => readIncident(b.doc)?.incident.timeline.some((e) => e.text === 'after the attack'), { message: 'sync goes on' });
    expect(closes).toEqual([]);
    expect(readIncident(b.doc)?.incident.meta.title).toBe('Under attack');
  });

  it('answers a raw sync step 1 with a step 2 and its own step 1', async () => {
    const { id, a } = await newIncident('Raw protocol');
    const raw = await rawSocket(id);
    raw.ws.send(encodeSyncStep1(new Y.Doc()));
    await waitFor(() => raw.messages.length >= 2, { message: 'step 1 and step 2' });
    const doc = new Y.Doc();
    for (const m of raw.messages) {
      // [0 = sync, 0|1|2, payload]; apply step 2 and updates
      if (m[0] === 0 && (m[1] === 1 || m[1] === 2)) {
        const d = (await import('lib0/decoding')).createDecoder(new Uint8Array(m));
        const dec = await import('lib0/decoding');
        dec.readVarUint(d);
        dec.readVarUint(d);
        Y.applyUpdate(doc, dec.readVarUint8Array(d));
      }
    }
    expect(readIncident(doc)?.incident.meta.title).toBe(readIncident(a.doc)?.incident.meta.title);
    expect(raw.messages.some((m) => m[0] === 0 && m[1] === 0)).toBe(true);
    raw.ws.close();
  });
});

describe('two server processes on one database', () => {
  it('SY16: relays an update from a client of one to a client of the other (LISTEN/NOTIFY)', async () => {
    const other = await startTestServer({ db });
    try {
      const id = newId();
      const near = client(id);
      const far = client(id, other.wsUrl);
      await Promise.all([near.synced(), far.synced()]);
      createIncident(near.doc, { title: 'Across processes', createdBy: 'alice' });
      await waitFor(() => readIncident(far.doc)?.incident.meta.title === 'Across processes', { message: 'relay to the other process' });
      addTimelineEntry(far.doc, { kind: 'note', author: 'bob', text: 'and back' });
      await waitFor(() => readIncident(near.doc)?.incident.timeline.some((e) => e.text === 'and back'), { message: 'relay back' });
      await waitFor(() => sameState(near.doc, far.doc), { message: 'convergence' });
      near.provider.awareness.setLocalStateField('user', { name: 'alice' });
      await waitFor(
        () => [...far.provider.awareness.getStates().values()].some((s) => (s as { user?: { name?: string } }).user?.name === ts.admin.user.display_name),
        {
          message: 'presence across processes',
        },
      );
      // Both processes project the same rows and agree on one key.
      await ts.server.projector.flush();
      await other.server.projector.flush();
      await waitFor(() => readIncident(near.doc)?.incident.meta.key, { message: 'key' });
      const [row] = await db.sql<{ key: string; timeline_count: number }[]>`SELECT key, timeline_count FROM incidents WHERE id = ${id}`;
      expect(row?.key).toBe(readIncident(far.doc)?.incident.meta.key);
      await waitFor(
        async () => {
          const [r] = await db.sql<{ timeline_count: number }[]>`SELECT timeline_count FROM incidents WHERE id = ${id}`;
          return r?.timeline_count === 2;
        },
        { message: 'projection of both edits' },
      );
    } finally {
      await other.server.close();
    }
  });
});

describe('document life cycle', () => {
  it('SY18, SY19: compaction keeps the state identical and reduces the stored rows; documents unload after the linger', async () => {
    const local = await startTestServer({ db, lingerMs: 50 });
    try {
      const id = newId();
      const c = connectClient(local.wsUrl, id, { as: local.admin });
      await c.synced();
      const rows = async () => {
        const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_updates WHERE doc_id = ${id}`;
        return r?.n ?? 0;
      };
      createIncident(c.doc, { title: 'Compaction', createdBy: 'alice' });
      for (let i = 0; i < 30; i++) {
        const stored = await rows();
        addTimelineEntry(c.doc, { kind: 'note', author: 'alice', text: `entry ${i}` });
        await waitFor(async () => (await rows()) > stored, { message: `entry ${i} stored` });
      }
      const [{ n: before } = { n: 0 }] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_updates WHERE doc_id = ${id}`;
      const r = await local.server.docs.compact(id);
      expect(r.removed).toBe(before);
      const [{ n: after } = { n: 0 }] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_updates WHERE doc_id = ${id}`;
      expect(after).toBe(0);
      // More edits after the snapshot: the stored state is now snapshot + updates.
      const partial = Y.encodeStateAsUpdate(c.doc);
      const more = await rows();
      for (let i = 30; i < 33; i++) addTimelineEntry(c.doc, { kind: 'note', author: 'alice', text: `entry ${i}` });
      await waitFor(async () => (await rows()) > more, { message: 'later entries stored' });
      await waitFor(() => local.server.docs.withDoc(id, (doc) => readIncident(doc)?.incident.timeline.length === 34), { message: 'at the server' });
      c.destroy();
      await waitFor(() => !local.server.docs.isLoaded(id), { message: 'unload after linger' });
      // A fresh client, answered from the stored bytes while the server loads its copy.
      const fresh = connectClient(local.wsUrl, id, { as: local.admin });
      await fresh.synced();
      await waitFor(() => readIncident(fresh.doc)?.incident.timeline.length === 34, { message: 'reload from snapshot + updates' });
      expect(
        readIncident(fresh.doc)
          ?.incident.timeline.map((e) => e.text)
          .slice(1),
      ).toEqual(Array.from({ length: 33 }, (_, i) => `entry ${i}`));
      fresh.destroy();
      await waitFor(() => !local.server.docs.isLoaded(id), { message: 'unload again' });
      // A client that has part of the state gets only what it lacks.
      const behind = connectClient(local.wsUrl, id, { connect: false, as: local.admin });
      Y.applyUpdate(behind.doc, partial);
      behind.provider.connect();
      await behind.synced();
      await waitFor(() => readIncident(behind.doc)?.incident.timeline.length === 34, { message: 'catch up from the stored bytes' });
      behind.destroy();
    } finally {
      await local.server.close();
    }
  });

  it('SY4, SY12: closes sockets with 1012 on shutdown, after storing what they sent', async () => {
    // Writes are held back long enough that only the shutdown's flush can store them.
    const local = await startTestServer({ db, flushDelayMs: 60_000 });
    const id = newId();
    const c = connectClient(local.wsUrl, id, { as: local.admin });
    await c.synced();
    const closes: number[] = [];
    c.provider.on('connection-close', (e) => {
      if (e) closes.push(e.code);
    });
    createIncident(c.doc, { title: 'Shutdown', createdBy: 'alice' });
    await waitFor(() => local.server.docs.withDoc(id, (doc) => readIncident(doc) !== null), { message: 'incident at the server' });
    expect((await db.sql`SELECT 1 FROM doc_updates WHERE doc_id = ${id}`).length).toBe(0);
    await local.server.close();
    await waitFor(() => closes.length > 0, { message: 'close event' });
    c.provider.disconnect();
    expect(closes).toContain(SYNC_CLOSE.shuttingDown.code);
    const rows = await db.sql`SELECT 1 FROM doc_updates WHERE doc_id = ${id}`;
    expect(rows.length).toBeGreaterThan(0);
    c.destroy();
  });
});

// @vitest-environment node
/**
 * Presence cannot be spoofed: the server sets each awareness state's `user` to the identity
 * authenticated on the socket (id and display name; the client's colours are kept), and a socket
 * cannot change or remove another client's awareness entry, whatever name or clock it sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import { newId } from '../../shared/ids.ts';
import { connectClient, pageOrigin, startTestServer, type Client, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await ts.stop();
});

function client(id: string, as: TestIdentity): Client {
  const c = connectClient(ts.wsUrl, id, { as });
  clients.push(c);
  return c;
}

type User = { id?: string | null; name?: string; color?: string };
const userOf = (c: Client, clientId: number): User | undefined => (c.provider.awareness.getStates().get(clientId) as { user?: User } | undefined)?.user;

/** An awareness message for `clientId` as a hostile socket would write it (any clock, any state). */
function awarenessMessage(clientId: number, states: (Record<string, unknown> | null)[]): Buffer {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const aw = new awarenessProtocol.Awareness(doc);
  for (const s of states) aw.setLocalState(s);
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(aw, [clientId]));
  aw.destroy();
  return Buffer.from(encoding.toUint8Array(e));
}

async function rawSocket(id: string, as: TestIdentity): Promise<WebSocket> {
  const ws = new WebSocket(`${ts.wsUrl}/${id}`, { headers: as.headers, origin: pageOrigin(ts.wsUrl) });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

describe('SY6: presence', () => {
  it('relays a spoofed name as the real user, with its colour', async () => {
    const id = newId();
    const alice = await ts.as('analyst');
    const a = client(id, alice);
    const b = client(id, await ts.as('viewer'));
    await Promise.all([a.synced(), b.synced()]);
    a.provider.awareness.setLocalStateField('user', { name: 'The CISO', color: '#b42318', colorLight: '#b4231833' });
    const seen = await waitFor(() => userOf(b, a.doc.clientID), { message: 'alice’s presence at b' });
    expect(seen).toEqual({ id: alice.user.id, name: alice.user.display_name, color: '#b42318', colorLight: '#b4231833' });
    // A colour that is not a plain colour is not relayed.
    a.provider.awareness.setLocalStateField('user', { name: 'x', color: 'red;background:url(//evil)' });
    await waitFor(() => userOf(b, a.doc.clientID)?.color === undefined, { message: 'the junk colour dropped' });
    expect(userOf(b, a.doc.clientID)?.name).toBe(alice.user.display_name);
  });

  it('never lets a socket change or remove another client’s entry', async () => {
    const id = newId();
    const alice = await ts.as('analyst');
    const a = client(id, alice);
    const b = client(id, await ts.as('viewer'));
    await Promise.all([a.synced(), b.synced()]);
    a.provider.awareness.setLocalStateField('user', { name: 'alice', color: '#0b5cad' });
    await waitFor(() => userOf(b, a.doc.clientID)?.name === alice.user.display_name, { message: 'alice’s presence at b' });

    const mallory = await ts.as('analyst');
    const ws = await rawSocket(id, mallory);
    try {
      // A newer clock for alice's id with another name, then its removal: both must be dropped.
      const many = Array.from({ length: 50 }, (_, i) => ({ user: { name: `Mallory as alice ${i}` } }));
      ws.send(awarenessMessage(a.doc.clientID, many));
      ws.send(awarenessMessage(a.doc.clientID, [...many, null]));
      // Then mallory's own entry: once b has it, the two messages before it were handled.
      const own = 987_654_321;
      ws.send(awarenessMessage(own, [{ user: { name: 'alice' } }]));
      const relayed = await waitFor(() => userOf(b, own), { message: 'mallory’s own presence at b' });
      expect(relayed).toEqual({ id: mallory.user.id, name: mallory.user.display_name });
      expect(userOf(b, a.doc.clientID)).toMatchObject({ id: alice.user.id, name: alice.user.display_name });
      expect(b.provider.awareness.getStates().has(a.doc.clientID)).toBe(true);
    } finally {
      ws.close();
    }
    // Mallory's id is freed when its socket closes; alice's entry is still alice's.
    await waitFor(() => !b.provider.awareness.getStates().has(987_654_321), { message: 'mallory’s presence gone' });
    expect(userOf(b, a.doc.clientID)?.name).toBe(alice.user.display_name);
  });
});

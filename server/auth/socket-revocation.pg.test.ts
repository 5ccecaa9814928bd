// @vitest-environment node
/**
 * Open /sync sockets follow access changes at once, in every server process: logout, disabling
 * the user, revoking the API token and demoting to a role without access close them (4403 / 4404);
 * a demotion to a read-only role keeps the socket but drops its updates and says so; a guest
 * grant's expiry closes the guest's sockets at that moment (a timer per socket, no notification
 * exists for it) and its REST access ends with it. The periodic re-check is set to 10 minutes here,
 * so nothing below relies on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import { SYNC_CLOSE } from '../../shared/api.ts';
import { addTimelineEntry, createIncident, readIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';
import { MESSAGE } from '../sync/protocol.ts';
import { connectClient, pageOrigin, startTestServer, type Client, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

const NO_PERIODIC_RECHECK = { socketRecheckMs: 600_000 };
let ts: TestServer;
/** A second process on the same database. */
let other: TestServer;
let incident: string;
const clients: Client[] = [];

beforeAll(async () => {
  ts = await startTestServer({ auth: NO_PERIODIC_RECHECK });
  other = await startTestServer({ db: ts.db, auth: NO_PERIODIC_RECHECK });
  incident = newId();
  const doc = new Y.Doc({ guid: incident });
  createIncident(doc, { title: 'Access changes', createdBy: 'tester' });
  await ts.server.docs.withDoc(incident, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  await ts.server.docs.flush();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await other.stop();
  await ts.stop();
});

interface Socket {
  ws: WebSocket;
  messages: Buffer[];
  closed: Promise<{ code: number; at: number }>;
  isOpen(): boolean;
}

/** A raw socket as a page of the app opens it (cookie or bearer, the server's Origin). */
async function socket(server: TestServer, as: TestIdentity, id = incident): Promise<Socket> {
  const ws = new WebSocket(`${server.wsUrl}/${id}`, { headers: as.headers, origin: pageOrigin(server.wsUrl) });
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // Served, not just upgraded: the server's sync step 1 has arrived.
  await waitFor(() => messages.length > 0, { message: 'the server’s first message' });
  return { ws, messages, closed, isOpen: () => ws.readyState === WebSocket.OPEN };
}

function message(kind: number, payload: Uint8Array, step?: number): Buffer {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, kind);
  if (step !== undefined) encoding.writeVarUint(e, step);
  encoding.writeVarUint8Array(e, payload);
  return Buffer.from(encoding.toUint8Array(e));
}

const serverTexts = (id = incident) => ts.server.docs.withDoc(id, (doc) => readIncident(doc)?.incident.timeline.map((e) => e.text) ?? []);

describe('open sockets follow access changes', () => {
  it('ID4: closes with 4403 on logout', async () => {
    const analyst = await ts.as('analyst');
    const here = await socket(ts, analyst);
    const there = await socket(other, analyst);
    const r = await ts.fetch('/api/v1/auth/logout', { as: analyst, method: 'POST' });
    expect(r.status).toBe(204);
    expect((await here.closed).code).toBe(SYNC_CLOSE.unauthenticated.code);
    expect((await there.closed).code).toBe(SYNC_CLOSE.unauthenticated.code);
  });

  it('ID4: closes with 4403 when the user is disabled, in this process and the other', async () => {
    const analyst = await ts.as('analyst');
    const here = await socket(ts, analyst);
    const there = await socket(other, analyst);
    expect((await ts.fetch(`/api/v1/users/${analyst.user.id}`, { method: 'PATCH', json: { disabled: true } })).status).toBe(200);
    expect((await here.closed).code).toBe(SYNC_CLOSE.unauthenticated.code);
    expect((await there.closed).code).toBe(SYNC_CLOSE.unauthenticated.code);
  });

  it('ID4: closes a bearer socket with 4403 when its API token is revoked', async () => {
    const token = await ts.token('analyst');
    const there = await socket(other, token);
    expect((await ts.fetch(`/api/v1/tokens/${token.credentialId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await there.closed).code).toBe(SYNC_CLOSE.unauthenticated.code);
  });

  it('SY5: closes with 4404 when the role no longer reads the incident, and when a guest grant is removed', async () => {
    const analyst = await ts.as('analyst');
    const there = await socket(other, analyst);
    expect((await ts.fetch(`/api/v1/users/${analyst.user.id}`, { method: 'PATCH', json: { role: 'guest' } })).status).toBe(200);
    expect((await there.closed).code).toBe(SYNC_CLOSE.forbidden.code);

    const guest = await ts.as('guest', { grants: { [incident]: 'write' } });
    const g = await socket(other, guest);
    expect((await ts.fetch(`/api/v1/incidents/${incident}/guests/${guest.user.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await g.closed).code).toBe(SYNC_CLOSE.forbidden.code);
  });

  it('SY5: keeps a socket demoted to viewer open, says it is read-only, and drops its updates', async () => {
    const analyst = await ts.as('analyst');
    const s = await socket(other, analyst);
    const watcher = connectClient(other.wsUrl, incident, { as: await ts.as('viewer') });
    clients.push(watcher);
    await watcher.synced();
    expect((await ts.fetch(`/api/v1/users/${analyst.user.id}`, { method: 'PATCH', json: { role: 'viewer' } })).status).toBe(200);
    await waitFor(() => s.messages.some((m) => m[0] === MESSAGE.auth && m.toString().includes('read-only')), { message: 'the read-only notice' });
    expect(s.isOpen()).toBe(true);

    // An edit from the demoted socket, then its presence as a marker: once the watcher sees the
    // marker, the edit before it on the same socket has been handled.
    const device = new Y.Doc({ guid: incident });
    await other.server.docs.withDoc(incident, (doc) => Y.applyUpdate(device, Y.encodeStateAsUpdate(doc)));
    const sv = Y.encodeStateVector(device);
    addTimelineEntry(device, { kind: 'note', author: 'demoted', text: 'written after the demotion' });
    s.ws.send(message(MESSAGE.sync, Y.encodeStateAsUpdate(device, sv), 2));
    const marker = new Y.Doc();
    const aw = new awarenessProtocol.Awareness(marker);
    aw.setLocalStateField('marker', true);
    s.ws.send(message(MESSAGE.awareness, awarenessProtocol.encodeAwarenessUpdate(aw, [marker.clientID])));
    await waitFor(() => watcher.provider.awareness.getStates().has(marker.clientID), { message: 'the marker at the watcher' });
    aw.destroy();
    await other.server.docs.flush();
    await ts.server.docs.flush();
    expect(await other.server.docs.withDoc(incident, (doc) => readIncident(doc)?.incident.timeline.map((e) => e.text) ?? [])).not.toContain(
      'written after the demotion',
    );
    expect(await serverTexts()).not.toContain('written after the demotion');
    s.ws.close();
  });
});

describe('guest grant expiry', () => {
  async function guestExpiringIn(ms: number): Promise<{ guest: TestIdentity; expiresAt: number }> {
    const guest = await ts.as('guest');
    const [row] = await ts.server.sql<{ expires_at: Date }[]>`
      INSERT INTO guest_grants (user_id, incident_id, access, expires_at)
      VALUES (${guest.user.id}, ${incident}, 'write', now() + ${ms} * interval '1 millisecond') RETURNING expires_at`;
    if (!row) throw new Error('no grant');
    return { guest, expiresAt: row.expires_at.getTime() };
  }

  it('SY5: closes the guest’s sockets in every process when its grant expires, and REST refuses at once', async () => {
    const { guest, expiresAt } = await guestExpiringIn(2_000);
    // Used before the expiry: the credential (with its grant) is in both processes' caches.
    expect((await ts.fetch(`/api/v1/incidents/${incident}`, { as: guest })).status).not.toBe(403);
    const here = await socket(ts, guest);
    const there = await socket(other, guest);
    expect(here.isOpen() && there.isOpen()).toBe(true);
    const [a, b] = await Promise.all([here.closed, there.closed]);
    expect(a.code).toBe(SYNC_CLOSE.forbidden.code);
    expect(b.code).toBe(SYNC_CLOSE.forbidden.code);
    // At the expiry, not at the next periodic re-check.
    expect(Math.max(a.at, b.at) - expiresAt).toBeLessThan(1_500);
    expect(Math.min(a.at, b.at)).toBeGreaterThanOrEqual(expiresAt);
    expect((await ts.fetch(`/api/v1/incidents/${incident}`, { as: guest })).status).toBe(403);
  });
});

// @vitest-environment node
/**
 * Access on the sync paths: the websocket refuses at the upgrade with 4403/4404 (no identity,
 * expired or revoked session, revoked token, disabled user, a guest of another incident), keeps
 * read-only sockets but drops their updates, closes an open socket with 4403 when its session
 * is revoked, and the batch endpoint refuses per document with the same rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { SYNC_CLOSE, syncBatchResponse } from '../../shared/api.ts';
import { addTimelineEntry, createIncident, readIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { connectClient, pageOrigin, startTestServer, type Client, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';

let ts: TestServer;
let incidentA: string;
let incidentB: string;
const clients: Client[] = [];

async function makeIncident(): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Socket access', createdBy: 'tester' });
  await ts.server.docs.withDoc(id, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  await ts.server.docs.flush();
  return id;
}

beforeAll(async () => {
  ts = await startTestServer({ auth: { socketRecheckMs: 60_000 } });
  incidentA = await makeIncident();
  incidentB = await makeIncident();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await ts.stop();
});

function closeOf(id: string, as: TestIdentity | null): Promise<{ code: number; reason: string }> {
  const ws = new WebSocket(`${ts.wsUrl}/${id}`, { headers: as?.headers ?? {}, origin: pageOrigin(ts.wsUrl) });
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function client(id: string, as: TestIdentity): Client {
  const c = connectClient(ts.wsUrl, id, { as });
  clients.push(c);
  return c;
}

const storedUpdates = async (id: string): Promise<number> =>
  (await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_updates WHERE doc_id = ${id}`)[0]?.n ?? 0;

describe('websocket access', () => {
  it('SY4: refuses unauthenticated sockets with 4403 and sockets without access with 4404', async () => {
    const sql = ts.server.sql;
    const expired = await ts.as('analyst');
    await sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${expired.credentialId}`;
    const revoked = await ts.as('analyst');
    await sql`UPDATE sessions SET revoked_at = now() WHERE id = ${revoked.credentialId}`;
    const revokedToken = await ts.token('analyst');
    await sql`UPDATE api_tokens SET revoked_at = now() WHERE id = ${revokedToken.credentialId}`;
    const disabled = await ts.as('analyst');
    await sql`UPDATE users SET disabled = true WHERE id = ${disabled.user.id}`;
    for (const as of [null, expired, revoked, revokedToken, disabled]) {
      expect(await closeOf(incidentA, as)).toEqual({ code: SYNC_CLOSE.unauthenticated.code, reason: SYNC_CLOSE.unauthenticated.reason });
    }
    const guestB = await ts.as('guest', { grants: { [incidentB]: 'write' } });
    expect(await closeOf(incidentA, guestB)).toEqual({ code: SYNC_CLOSE.forbidden.code, reason: SYNC_CLOSE.forbidden.reason });
    expect(await closeOf(newId(), guestB)).toEqual({ code: SYNC_CLOSE.forbidden.code, reason: SYNC_CLOSE.forbidden.reason });
    const scoped = await ts.token('analyst', ['evidence:download']);
    expect((await closeOf(incidentA, scoped)).code).toBe(SYNC_CLOSE.forbidden.code);
  });

  it('SY5: keeps read-only sockets (viewer, read-only guest) but drops their updates; they still receive others', async () => {
    const writer = client(incidentA, await ts.as('analyst'));
    const viewer = client(incidentA, await ts.as('viewer'));
    const guest = client(incidentA, await ts.as('guest', { grants: { [incidentA]: 'read' } }));
    await Promise.all([writer.synced(), viewer.synced(), guest.synced()]);
    await ts.server.docs.flush();
    const before = await storedUpdates(incidentA);
    addTimelineEntry(viewer.doc, { kind: 'note', author: 'viewer', text: 'viewer write' });
    addTimelineEntry(guest.doc, { kind: 'note', author: 'guest', text: 'guest write' });
    addTimelineEntry(writer.doc, { kind: 'note', author: 'analyst', text: 'analyst write' });
    const texts = (c: Client) => readIncident(c.doc)?.incident.timeline.map((e) => e.text) ?? [];
    await waitFor(() => texts(viewer).includes('analyst write') && texts(guest).includes('analyst write'), { message: 'read-only sockets receive' });
    await new Promise((r) => setTimeout(r, 200));
    await ts.server.docs.flush();
    expect(texts(writer)).not.toContain('viewer write');
    expect(texts(writer)).not.toContain('guest write');
    const server = await ts.server.docs.withDoc(incidentA, (doc) => readIncident(doc)?.incident.timeline.map((e) => e.text) ?? []);
    expect(server).toContain('analyst write');
    expect(server).not.toContain('viewer write');
    expect(await storedUpdates(incidentA)).toBe(before + 1);
    expect(viewer.provider.wsconnected).toBe(true);
  });

  it('SY5, ID4: closes an open socket with 4403 when its session is revoked, and 4404 when a guest grant is removed', async () => {
    const analyst = await ts.as('analyst');
    const c = client(incidentB, analyst);
    await c.synced();
    const closed = new Promise<number>((resolve) => c.provider.ws?.addEventListener('close', (e) => resolve((e as CloseEvent).code)));
    const r = await ts.fetch(`/api/v1/users/${analyst.user.id}/revoke-sessions`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await closed).toBe(SYNC_CLOSE.unauthenticated.code);

    const guest = await ts.as('guest', { grants: { [incidentB]: 'write' } });
    const g = client(incidentB, guest);
    await g.synced();
    const gClosed = new Promise<number>((resolve) => g.provider.ws?.addEventListener('close', (e) => resolve((e as CloseEvent).code)));
    expect((await ts.fetch(`/api/v1/incidents/${incidentB}/guests/${guest.user.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await gClosed).toBe(SYNC_CLOSE.forbidden.code);
  });

  it('records who changed a document in the audit log, once per flush per actor', async () => {
    const analyst = await ts.as('analyst');
    const c = client(incidentB, analyst);
    await c.synced();
    for (let i = 0; i < 30; i++) addTimelineEntry(c.doc, { kind: 'note', author: 'a', text: `k${i}` });
    await waitFor(async () => {
      await ts.server.docs.flush();
      const rows = await ts.server
        .sql`SELECT * FROM audit_log WHERE actor_id = ${analyst.user.id} AND action = 'incident.update' AND incident_id = ${incidentB}`;
      return rows.length > 0;
    });
    const rows = await ts.server.sql<{ digest: string; actor_kind: string }[]>`SELECT digest, actor_kind FROM audit_log WHERE actor_id = ${analyst.user.id}`;
    expect(rows.length).toBeLessThan(30);
    expect(rows[0]?.actor_kind).toBe('user');
    expect(rows[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('batch access', () => {
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

  async function pushEdit(as: TestIdentity, id: string, text: string) {
    const device = new Y.Doc({ guid: id });
    await ts.server.docs.withDoc(id, (doc) => Y.applyUpdate(device, Y.encodeStateAsUpdate(doc)));
    const sv = Y.encodeStateVector(device);
    addTimelineEntry(device, { kind: 'note', author: 'device', text });
    const r = await ts.fetch('/api/v1/sync/batch', {
      as,
      method: 'POST',
      json: { docs: [{ id, state_vector: b64(sv), update: b64(Y.encodeStateAsUpdate(device, sv)) }] },
    });
    return { status: r.status, body: syncBatchResponse.parse(await r.json()) };
  }

  const serverHas = (id: string, text: string) =>
    ts.server.docs.withDoc(id, (doc) => (readIncident(doc)?.incident.timeline ?? []).some((e) => e.text === text));

  it('SY20: refuses a read-only guest and a viewer per document, still answering what they lack', async () => {
    for (const as of [await ts.as('guest', { grants: { [incidentA]: 'read' } }), await ts.as('viewer'), await ts.token('viewer')]) {
      const r = await pushEdit(as, incidentA, `refused ${as.credentialId}`);
      expect(r.status).toBe(200);
      expect(r.body.errors).toEqual([expect.objectContaining({ id: incidentA, code: 'forbidden' })]);
      expect(r.body.docs.map((d) => d.id)).toEqual([incidentA]);
      expect(await serverHas(incidentA, `refused ${as.credentialId}`)).toBe(false);
    }
  });

  it('SY20: refuses a guest of another incident entirely for that document, and applies a write guest', async () => {
    const guestB = await ts.as('guest', { grants: { [incidentB]: 'write' } });
    const r = await pushEdit(guestB, incidentA, 'from B guest');
    expect(r.body.errors).toEqual([expect.objectContaining({ id: incidentA, code: 'forbidden' })]);
    expect(r.body.docs).toEqual([]);
    expect(await serverHas(incidentA, 'from B guest')).toBe(false);
    const ok = await pushEdit(guestB, incidentB, 'from B guest');
    expect(ok.body.errors).toEqual([]);
    expect(await serverHas(incidentB, 'from B guest')).toBe(true);
  });

  it('answers 401 for the whole batch without identity', async () => {
    const r = await ts.fetch('/api/v1/sync/batch', { as: null, method: 'POST', json: { docs: [{ id: incidentA }] } });
    expect(r.status).toBe(401);
  });
});

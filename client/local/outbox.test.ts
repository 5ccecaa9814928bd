// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { ok } from '../../shared/result.ts';
import { newSyncState, openDb, type SentpilotDb } from './db.ts';
import type { ConnectionStatus } from './engine-types.ts';
import { createObservable, type Observable } from './observable.ts';
import { createOutbox, outboxEntriesOf, outboxTable, type Outbox } from './outbox.ts';
import { createPlaybooksApi } from './playbooks-api.ts';
import { makeDb } from './testing/fixtures.ts';

/** The server side of execute-workflow as the contract says: runs deduplicated by idempotency key. */
function fakeServer() {
  const runsByKey = new Map<string, string>();
  const server = {
    mode: 'up' as 'up' | 'down' | 'refuse' | 'expired' | 'lose-answer',
    requests: [] as { url: string; key: string | null; body: unknown }[],
    runsByKey,
    fetch: async (url: string, init?: RequestInit): Promise<Response> => {
      const headers = new Headers(init?.headers);
      server.requests.push({ url, key: headers.get('idempotency-key'), body: JSON.parse(String(init?.body)) });
      if (server.mode === 'down') throw new TypeError('Failed to fetch');
      if (server.mode === 'refuse') return json(422, { error: { code: 'unprocessable', message: 'playbook brute-force does not apply to this incident' } });
      if (server.mode === 'expired') return json(401, { error: { code: 'unauthenticated', message: 'session expired' } });
      const key = headers.get('idempotency-key') ?? newId();
      const known = runsByKey.get(key);
      const runId = known ?? newId();
      runsByKey.set(key, runId);
      if (server.mode === 'lose-answer') throw new TypeError('network changed');
      const incidentId = /incidents\/([^/]+)\//.exec(url)?.[1] ?? null;
      return json(known ? 200 : 202, {
        id: runId,
        playbook_id: 'brute-force',
        playbook_name: 'Brute force',
        playbook_version: '1',
        incident_id: incidentId,
        state: 'queued',
        dry_run: false,
        trigger: 'manual',
        started_by: 'alice',
        created_at: new Date().toISOString(),
        finished_at: null,
        error: null,
        steps: [],
      });
    },
  };
  return server;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const opened: { outbox: Outbox; db: SentpilotDb }[] = [];
afterEach(() => {
  for (const { outbox, db } of opened.splice(0)) {
    outbox.stop();
    db.close();
  }
});

/** An outbox on `db` whose backoff timers never fire: the tests decide when it tries again. */
function setup(db: SentpilotDb, server: ReturnType<typeof fakeServer>, connection: Observable<Conn>, user: { id: string | null } = { id: ALICE }) {
  const unauthenticated = vi.fn();
  const api = createPlaybooksApi({ fetch: server.fetch, onUnauthenticated: unauthenticated });
  const outbox = createOutbox({
    db,
    connection,
    userId: () => user.id,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    send: async (r) => {
      const res = await api.execute(r.incidentId, { playbookId: r.body.playbook_id, dryRun: r.body.dry_run, idempotencyKey: r.idempotencyKey });
      return res.ok ? ok(res.value.id) : res;
    },
  });
  opened.push({ outbox, db });
  return { outbox, unauthenticated };
}

type Conn = { status: ConnectionStatus; lastSyncAt: string | null };
const waitFor = <T>(fn: () => T | Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 5_000, interval: 20 });
const incidentId = newId();
const ALICE = newId();

describe('device outbox', () => {
  it('keeps a run requested offline waiting, and sends it once the device is online with its key', async () => {
    const db = makeDb();
    const server = fakeServer();
    const connection = createObservable<Conn>({ status: 'offline', lastSyncAt: null });
    const { outbox } = setup(db, server, connection);
    await outbox.start();

    const record = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await outbox.sendNow();
    expect(server.requests).toHaveLength(0);
    expect(await outboxEntriesOf(db, incidentId)).toMatchObject([{ id: record.id, state: 'waiting', label: 'Brute force', attempts: 0 }]);

    connection.update({ status: 'online' });
    await waitFor(async () => expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done', attempts: 1 }));
    expect(server.requests).toEqual([
      { url: `/api/v1/incidents/${incidentId}/execute-workflow`, key: record.idempotencyKey, body: { playbook_id: 'brute-force', dry_run: false } },
    ]);
    expect((await outboxTable(db).get(record.id))?.runId).toBe(server.runsByKey.get(record.idempotencyKey));
  });

  it('PB7: retries after a lost answer with the same key, so the server starts the run only once', async () => {
    const db = makeDb();
    const server = fakeServer();
    const connection = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const { outbox } = setup(db, server, connection);
    await outbox.start();
    server.mode = 'lose-answer';

    const record = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: true }, 'Brute force');
    await waitFor(async () =>
      expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'waiting', attempts: 1, lastError: 'The server cannot be reached.' }),
    );

    server.mode = 'up';
    await outbox.sendNow();
    expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done', attempts: 2, lastError: null });
    expect(server.requests.map((r) => r.key)).toEqual([record.idempotencyKey, record.idempotencyKey]);
    expect(server.runsByKey.size).toBe(1);
    expect((await outboxTable(db).get(record.id))?.runId).toBe(server.runsByKey.get(record.idempotencyKey));
  });

  it('marks a request the server refuses (4xx) as failed with its message and does not resend it', async () => {
    const db = makeDb();
    const server = fakeServer();
    server.mode = 'refuse';
    const connection = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const { outbox } = setup(db, server, connection);
    await outbox.start();

    const record = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await waitFor(async () =>
      expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'failed', lastError: 'playbook brute-force does not apply to this incident' }),
    );
    await outbox.sendNow();
    expect(server.requests).toHaveLength(1);

    // The user fixed the incident and retries: the same key goes again.
    server.mode = 'up';
    await outbox.retry(record.id);
    expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done', attempts: 2 });
    expect(server.requests.map((r) => r.key)).toEqual([record.idempotencyKey, record.idempotencyKey]);
  });

  it('keeps a request waiting while the session is expired and reports the 401', async () => {
    const db = makeDb();
    const server = fakeServer();
    server.mode = 'expired';
    const connection = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const { outbox, unauthenticated } = setup(db, server, connection);
    await outbox.start();

    const record = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await waitFor(async () => expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'waiting', lastError: 'Log in again to send it.' }));
    expect(unauthenticated).toHaveBeenCalled();

    connection.update({ status: 'signed-out' });
    server.mode = 'up';
    connection.update({ status: 'online' });
    await waitFor(async () => expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done' }));
  });

  it('survives closing the database: a reopened device sends what waited, and what was cut off mid-send', async () => {
    const db = makeDb();
    const name = db.name;
    const server = fakeServer();
    const offline = createObservable<Conn>({ status: 'offline', lastSyncAt: null });
    const first = setup(db, server, offline);
    await first.outbox.start();
    const waiting = await first.outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    const cutOff = await first.outbox.requestRun(incidentId, { playbook_id: 'phishing', dry_run: false }, 'Phishing');
    // The tab closed while this one was on the wire.
    await outboxTable(db).update(cutOff.id, { state: 'sending', attempts: 1 });
    first.outbox.stop();
    db.close();

    const reopened = openDb(name, { gc: false });
    const online = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const second = setup(reopened, server, online);
    await second.outbox.start();

    await waitFor(async () => expect((await outboxEntriesOf(reopened, incidentId)).map((r) => r.state)).toEqual(['done', 'done']));
    expect(server.requests.map((r) => r.key)).toEqual([waiting.idempotencyKey, cutOff.idempotencyKey]);
  });

  it('holds a run for an incident created on this device until the incident has reached the server', async () => {
    const db = makeDb();
    const server = fakeServer();
    const connection = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const { outbox } = setup(db, server, connection);
    const localIncident = newId();
    await db.syncState.put({ ...newSyncState(localIncident), dirty: 1, pending: 1 });
    await outbox.start();

    const record = await outbox.requestRun(localIncident, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await waitFor(async () =>
      expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'waiting', lastError: expect.stringContaining('not on the server yet') }),
    );
    expect(server.requests).toHaveLength(0);

    // The background sync delivered the incident.
    const at = new Date().toISOString();
    await db.syncState.put({ ...newSyncState(localIncident), serverSV: new Uint8Array([0]), syncedAt: at });
    connection.update({ lastSyncAt: at });
    await waitFor(async () => expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done', attempts: 1 }));
    expect(server.requests).toHaveLength(1);
  });

  it('sends a request only under the session of the user who made it', async () => {
    const db = makeDb();
    const server = fakeServer();
    const connection = createObservable<Conn>({ status: 'offline', lastSyncAt: null });
    const user: { id: string | null } = { id: ALICE };
    const { outbox } = setup(db, server, connection, user);
    await outbox.start();
    const record = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');

    // Alice logged out offline; Bob logged in on the same device.
    user.id = newId();
    connection.update({ status: 'online' });
    await waitFor(async () =>
      expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'waiting', lastError: expect.stringContaining('another user') }),
    );
    expect(server.requests).toHaveLength(0);

    user.id = ALICE;
    await outbox.sendNow();
    expect(await outboxTable(db).get(record.id)).toMatchObject({ state: 'done' });
  });

  it('drops finished records after a day, keeps failed ones until dismissed', async () => {
    const db = makeDb();
    const server = fakeServer();
    const connection = createObservable<Conn>({ status: 'online', lastSyncAt: null });
    const { outbox } = setup(db, server, connection);
    await outbox.start();
    const done = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await waitFor(async () => expect(await outboxTable(db).get(done.id)).toMatchObject({ state: 'done' }));
    server.mode = 'refuse';
    const failed = await outbox.requestRun(incidentId, { playbook_id: 'brute-force', dry_run: false }, 'Brute force');
    await waitFor(async () => expect(await outboxTable(db).get(failed.id)).toMatchObject({ state: 'failed' }));
    await outboxTable(db)
      .toCollection()
      .modify({ updatedAt: new Date(Date.now() - 2 * 86_400_000).toISOString() });
    outbox.stop();

    const later = setup(db, server, connection);
    await later.outbox.start();
    expect((await outboxEntriesOf(db, incidentId)).map((r) => r.id)).toEqual([failed.id]);
    await later.outbox.remove(failed.id);
    expect(await outboxEntriesOf(db, incidentId)).toEqual([]);
  });
});

// @vitest-environment node
import 'fake-indexeddb/auto';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CreateEvidenceBody } from '../../shared/evidence-api.ts';
import { newId } from '../../shared/ids.ts';
import type { SentpilotDb } from './db.ts';
import { createEvidenceApi } from './evidence-api.ts';
import { createEvidenceOutbox, type EvidenceCaptureMeta, type EvidenceChunkRecord, type EvidenceOutbox, type EvidenceUploadRecord } from './evidence-outbox.ts';
import { createObservable } from './observable.ts';
import { makeDb } from './testing/fixtures.ts';

/** The upload half of the evidence contract, in memory, with switches to break it. */
function createFakeEvidenceServer() {
  const uploads = new Map<
    string,
    { id: string; incident_id: string; key: string; size: number; sha256: string; bytes: number[]; state: 'open' | 'complete'; evidence_id: string | null }
  >();
  const state = {
    offline: false,
    /** Fail (network) every PUT after this many succeeded. */
    putsBeforeCut: Infinity,
    /** Flip a byte on the way in (a corrupted transfer). */
    corruptNextPut: false,
    quotaBytes: Infinity,
    /** Answer a create, then lose the answer (the device sees a network error). */
    loseNextCreateAnswer: false,
    /** Refuse chunks as a revoked grant would. */
    forbidPuts: false,
    /** Another tab sends the same chunk first: the server takes its bytes, this PUT gets 409. */
    otherTabWinsNextPut: false,
    /** The server removed the upload as idle just before the next chunk arrives. */
    expireBeforeNextPut: false,
    abandoned: [] as string[],
    puts: 0,
    creates: 0,
    bytesReceived: 0,
  };
  const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const error = (status: number, code: string, message: string, details: Record<string, unknown> = {}): Response =>
    json(status, { error: { code, message, details } });
  const view = (u: typeof uploads extends Map<string, infer V> ? V : never) => ({
    id: u.id,
    incident_id: u.incident_id,
    size: u.size,
    offset: u.bytes.length,
    state: u.state,
    evidence_id: u.evidence_id,
  });

  async function fetch(input: string, init: RequestInit = {}): Promise<Response> {
    if (state.offline) throw new TypeError('Failed to fetch');
    const url = new URL(input, 'http://device.test');
    const method = init.method ?? 'GET';
    let m = /^\/api\/v1\/incidents\/([^/]+)\/evidence$/.exec(url.pathname);
    if (m && method === 'POST') {
      const body = JSON.parse(String(init.body)) as CreateEvidenceBody;
      state.creates++;
      if (body.size > state.quotaBytes) return error(413, 'payload_too_large', 'incident quota of 1 MB exceeded', { quota: 'incident' });
      let u = [...uploads.values()].find((x) => x.key === body.upload_key);
      if (!u) {
        u = {
          id: randomUUID(),
          incident_id: m[1] ?? '',
          key: body.upload_key,
          size: body.size,
          sha256: body.sha256,
          bytes: [],
          state: 'open',
          evidence_id: null,
        };
        uploads.set(u.id, u);
      }
      if (state.loseNextCreateAnswer) {
        state.loseNextCreateAnswer = false;
        throw new TypeError('connection reset');
      }
      return json(201, view(u));
    }
    m = /^\/api\/v1\/evidence-uploads\/([^/]+)(\/complete)?$/.exec(url.pathname);
    const u = m ? uploads.get(m[1] ?? '') : undefined;
    if (!m || !u) return error(404, 'not_found', 'no such upload');
    if (method === 'GET') return json(200, view(u));
    if (method === 'DELETE') {
      uploads.delete(u.id);
      state.abandoned.push(u.id);
      return new Response(null, { status: 204 });
    }
    if (method === 'PUT' && state.expireBeforeNextPut) {
      state.expireBeforeNextPut = false;
      uploads.delete(u.id);
      return error(404, 'not_found', `no upload ${u.id}`);
    }
    if (method === 'PUT' && state.forbidPuts) return error(403, 'forbidden', 'your access to this incident was revoked');
    if (method === 'PUT') {
      if (state.puts >= state.putsBeforeCut) throw new TypeError('Failed to fetch');
      state.puts++;
      const offset = Number(url.searchParams.get('offset'));
      if (offset !== u.bytes.length) return error(409, 'conflict', `offset is ${u.bytes.length}`, { offset: u.bytes.length });
      const bytes = Array.from(init.body as Uint8Array);
      if (state.otherTabWinsNextPut) {
        state.otherTabWinsNextPut = false;
        u.bytes.push(...bytes);
        return error(409, 'conflict', `offset is ${u.bytes.length}`, { offset: u.bytes.length });
      }
      if (state.corruptNextPut && bytes.length > 0) {
        state.corruptNextPut = false;
        bytes[0] = ((bytes[0] ?? 0) + 1) % 256;
      }
      state.bytesReceived += bytes.length;
      u.bytes.push(...bytes);
      return json(200, view(u));
    }
    if (method === 'POST' && m[2]) {
      const sha = createHash('sha256').update(Uint8Array.from(u.bytes)).digest('hex');
      if (sha !== u.sha256) {
        uploads.delete(u.id);
        return error(422, 'unprocessable', `declared ${u.sha256}, received ${sha}`, { reason: 'hash_mismatch' });
      }
      u.state = 'complete';
      u.evidence_id = randomUUID();
      return json(201, { id: u.evidence_id, sha256: sha, size: u.size, ...itemFields(u.incident_id) });
    }
    return error(405, 'bad_request', 'unexpected');
  }
  const stored = (): Uint8Array[] => [...uploads.values()].filter((u) => u.state === 'complete').map((u) => Uint8Array.from(u.bytes));
  return { state, fetch, stored, uploads };
}

const itemFields = (incidentId: string) => ({
  incident_id: incidentId,
  type: 'log',
  file_name: 'auth.log',
  description: '',
  tags: [],
  collected_by: 'alice',
  collected_at: '2026-11-20T10:00:00Z',
  collected_where: '',
  source_host: null,
  uploaded_by: 'alice',
  uploaded_at: '2026-11-22T10:00:00Z',
  md5: '',
  sha1: '',
  linked_entries: [],
  timeline_entry_id: null,
  retention_until: null,
  deleted_at: null,
});

const meta: EvidenceCaptureMeta = {
  type: 'log',
  file_name: 'auth.log',
  description: 'sshd log',
  tags: ['ssh'],
  collected_at: '2026-11-20T10:00:00Z',
  collected_where: 'DC1',
  source_host: 'web-01',
  linked_entries: [],
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const waitFor = <T>(fn: () => T | Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 5_000, interval: 10 });

const open: { outbox: EvidenceOutbox; db: SentpilotDb }[] = [];
afterEach(() => {
  for (const { outbox, db } of open.splice(0)) {
    outbox.stop();
    db.close();
  }
});

function setup(server = createFakeEvidenceServer(), db = makeDb(), opts: { otherTabUploads?: () => boolean } = {}) {
  const connection = createObservable({ status: server.state.offline ? 'offline' : 'online' });
  const persist = vi.fn(async () => true);
  const unauthenticated = vi.fn();
  const outbox = createEvidenceOutbox({
    db,
    api: createEvidenceApi({ fetch: server.fetch, onUnauthenticated: unauthenticated }),
    connection,
    isOnline: () => !server.state.offline,
    persistStorage: persist,
    chunkSize: 1000,
    periodMs: 60_000,
    exclusive: (pass) => (opts.otherTabUploads?.() ? Promise.resolve('ok') : pass()),
  });
  open.push({ outbox, db });
  outbox.start();
  const goOnline = (): void => {
    server.state.offline = false;
    connection.set({ status: 'online' });
  };
  const goOffline = (): void => {
    server.state.offline = true;
    connection.set({ status: 'offline' });
  };
  const record = async (id: string): Promise<EvidenceUploadRecord> => {
    const r = await db.table<EvidenceUploadRecord, string>('evidenceUploads').get(id);
    if (!r) throw new Error('record gone');
    return r;
  };
  const chunkCount = (id: string): Promise<number> => db.table<EvidenceChunkRecord>('evidenceChunks').where('uploadId').equals(id).count();
  return { server, db, outbox, persist, goOnline, goOffline, record, chunkCount, connection };
}

const incidentId = newId();

describe('evidence outbox', () => {
  it('keeps an offline capture on the device with its SHA-256, then uploads it when the network returns and marks it verified', async () => {
    const server = createFakeEvidenceServer();
    server.state.offline = true;
    const t = setup(server);
    const file = new Uint8Array(randomBytes(4_500));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);

    const waiting = await t.record(id);
    expect(waiting).toMatchObject({ state: 'waiting', size: 4_500, sha256: sha(file), captured: 4_500 });
    expect(await t.chunkCount(id)).toBe(5);
    expect(t.persist).toHaveBeenCalledTimes(1);
    expect(server.state.creates).toBe(0);

    t.goOnline();
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    const done = await t.record(id);
    expect(done.evidenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(done.error).toBeNull();
    expect(server.stored()).toEqual([file]);
    // The bytes leave the device once the server verified them.
    expect(await t.chunkCount(id)).toBe(0);
  });

  it('EV1: resumes an interrupted upload from the server offset without sending bytes twice', async () => {
    const t = setup();
    t.server.state.putsBeforeCut = 2;
    const file = new Uint8Array(randomBytes(5_000));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);
    await waitFor(async () => expect((await t.record(id)).offset).toBe(2_000));
    expect((await t.record(id)).state).toBe('uploading');

    t.server.state.putsBeforeCut = Infinity;
    await t.outbox.kick();
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    expect(t.server.stored()).toEqual([file]);
    expect(t.server.state.bytesReceived).toBe(5_000);
    expect(t.server.uploads.size).toBe(1);
  });

  it('starts a new upload from the bytes on the device when the server removed the old one as idle', async () => {
    const t = setup();
    t.server.state.putsBeforeCut = 2;
    const file = new Uint8Array(randomBytes(5_000));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);
    await waitFor(async () => expect((await t.record(id)).offset).toBe(2_000));

    t.server.state.putsBeforeCut = Infinity;
    t.server.state.expireBeforeNextPut = true;
    await t.outbox.kick();
    await waitFor(async () => expect((await t.record(id)).serverUploadId).toBeNull());
    expect((await t.record(id)).state).toBe('waiting');
    await t.outbox.kick();
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    expect(t.server.stored()).toEqual([file]);
    expect(t.server.state.creates).toBe(2);
  });

  it('EV1: uses the same upload key after a lost answer, so the server holds one upload', async () => {
    const t = setup();
    t.server.state.loseNextCreateAnswer = true;
    const file = new Uint8Array(randomBytes(1_500));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);
    await waitFor(() => expect(t.server.state.creates).toBe(1));
    await t.outbox.kick();
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    expect(t.server.state.creates).toBe(2);
    expect(t.server.uploads.size).toBe(1);
  });

  it('EV3: shows a hash mismatch as a failure, keeps the bytes, and succeeds on retry', async () => {
    const t = setup();
    t.server.state.corruptNextPut = true;
    const file = new Uint8Array(randomBytes(2_500));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);
    await waitFor(async () => expect((await t.record(id)).state).toBe('failed'));
    const failed = await t.record(id);
    expect(failed.error?.code).toBe('hash_mismatch');
    expect(failed.error?.message).toMatch(/different SHA-256/);
    expect(await t.chunkCount(id)).toBe(3);

    await t.outbox.retry(id);
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    expect(t.server.stored()).toEqual([file]);
  });

  it('shows a quota refusal clearly and drops nothing until the user removes it', async () => {
    const t = setup();
    t.server.state.quotaBytes = 1_000;
    const id = await t.outbox.capture(incidentId, new Blob([new Uint8Array(randomBytes(2_000))]), meta);
    await waitFor(async () => expect((await t.record(id)).state).toBe('failed'));
    expect((await t.record(id)).error).toMatchObject({ code: 'quota_exceeded', message: expect.stringMatching(/quota/) });
    expect(await t.chunkCount(id)).toBe(2);

    await t.outbox.remove(id);
    expect(await t.outbox.list(incidentId)).toEqual([]);
    expect(await t.chunkCount(id)).toBe(0);
  });

  it('survives closing the app: a new outbox on the same database uploads what was waiting', async () => {
    const server = createFakeEvidenceServer();
    server.state.offline = true;
    const first = setup(server);
    const file = new Uint8Array(randomBytes(3_000));
    const id = await first.outbox.capture(incidentId, new Blob([file]), meta);
    first.outbox.stop();
    const name = first.db.name;
    first.db.close();
    open.splice(0);

    server.state.offline = false;
    const { openDb } = await import('./db.ts');
    const again = setup(server, openDb(name, { gc: false }));
    await waitFor(async () => expect((await again.record(id)).state).toBe('verified'));
    expect(server.stored()).toEqual([file]);
  });

  it('marks a capture the app closed in the middle of as failed instead of dropping it', async () => {
    const db = makeDb();
    await db.table('evidenceUploads').add({
      id: newId(),
      incidentId,
      state: 'capturing',
      attempt: 0,
      createdAt: new Date().toISOString(),
      meta,
      size: 10,
      sha256: null,
      chunkSize: 1000,
      captured: 0,
      touchedAt: Date.now() - 120_000,
      serverUploadId: null,
      offset: 0,
      evidenceId: null,
      error: null,
    });
    const t = setup(createFakeEvidenceServer(), db);
    await waitFor(async () => expect((await t.outbox.list(incidentId))[0]?.state).toBe('failed'));
    expect((await t.outbox.list(incidentId))[0]?.error?.code).toBe('capture_interrupted');
  });

  it('leaves the upload to the tab holding the lock', async () => {
    let otherTab = true;
    const t = setup(createFakeEvidenceServer(), makeDb(), { otherTabUploads: () => otherTab });
    const id = await t.outbox.capture(incidentId, new Blob([new Uint8Array(randomBytes(1_200))]), meta);
    await t.outbox.kick();
    expect((await t.record(id)).state).toBe('waiting');
    expect(t.server.state.creates).toBe(0);

    otherTab = false;
    await t.outbox.kick();
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
  });

  it('shows a refusal with the server message, and removing it abandons the open upload on the server', async () => {
    const t = setup();
    t.server.state.forbidPuts = true;
    const id = await t.outbox.capture(incidentId, new Blob([new Uint8Array(randomBytes(1_500))]), meta);
    await waitFor(async () => expect((await t.record(id)).state).toBe('failed'));
    expect((await t.record(id)).error).toMatchObject({ code: 'forbidden', message: 'your access to this incident was revoked' });
    const serverUpload = (await t.record(id)).serverUploadId;
    expect(serverUpload).not.toBeNull();

    await t.outbox.remove(id);
    await waitFor(() => expect(t.server.state.abandoned).toEqual([serverUpload]));
    expect(await t.chunkCount(id)).toBe(0);
  });

  it('EV1: after a 409 asks the server for its offset and continues from there', async () => {
    const t = setup();
    t.server.state.otherTabWinsNextPut = true;
    const file = new Uint8Array(randomBytes(2_500));
    const id = await t.outbox.capture(incidentId, new Blob([file]), meta);
    await waitFor(async () => expect((await t.record(id)).state).toBe('verified'));
    expect(t.server.stored()).toEqual([file]);
  });
});

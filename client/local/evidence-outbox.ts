/**
 * Evidence captured on this device, kept in IndexedDB until the server holds it and has
 * verified its SHA-256. Capture reads the file chunk by chunk (Blob.slice), hashes it
 * incrementally and stores the chunks (`evidenceChunks`) next to one record per capture
 * (`evidenceUploads`), so files of several GB never sit in memory and a closed app loses
 * nothing. A runner replays the resumable upload (shared/evidence-api.ts) one capture at a
 * time: at start, right after a capture, when the connection comes back online, periodically,
 * with backoff after failures. It asks the server where to resume, so an interrupted upload
 * continues where the server's bytes end. A refusal (hash mismatch, quota, no access) stays on
 * the record for the user to retry or remove: nothing captured is dropped without being asked.
 * (A little over 300 lines: the record, the capture and the upload replay share one lifecycle.)
 */
import type { Table } from 'dexie';
import type { CreateEvidenceBody } from '../../shared/evidence-api.ts';
import { newId } from '../../shared/ids.ts';
import type { SentpilotDb } from './db.ts';
import type { EvidenceApi } from './evidence-api.ts';
import { canReachServer } from './engine-types.ts';
import { createSha256 } from './evidence-sha256.ts';
import { isTransient, isUnauthenticated, type ApiFailure } from './http-json.ts';
import type { ReadonlyObservable } from './observable.ts';
import { createSyncScheduler, type RunResult, type SchedulerDeps } from './sync-scheduler.ts';

/**
 * capturing: bytes being saved on the device · waiting: saved, not sent · uploading: bytes going
 * to the server · stored: the server has every byte · verified: the server's SHA-256 equals the
 * device's · failed: refused or interrupted, see `error` (retry or remove).
 */
const EVIDENCE_UPLOAD_STATES = ['capturing', 'waiting', 'uploading', 'stored', 'verified', 'failed'] as const;
export type EvidenceUploadState = (typeof EVIDENCE_UPLOAD_STATES)[number];

/** What the user says about a capture (the rest of createEvidenceBody is computed). */
export type EvidenceCaptureMeta = Omit<CreateEvidenceBody, 'size' | 'sha256' | 'upload_key'>;

export interface EvidenceUploadError {
  code: string;
  message: string;
  at: string;
}

export interface EvidenceUploadRecord {
  /** With `attempt`, the `upload_key`: retries never create a second upload on the server. */
  id: string;
  /** Grows when the server discarded the upload (hash mismatch), so a retry starts a new one. */
  attempt: number;
  incidentId: string;
  state: EvidenceUploadState;
  createdAt: string;
  meta: EvidenceCaptureMeta;
  size: number;
  /** Computed on the device while capturing; null until then. */
  sha256: string | null;
  chunkSize: number;
  /** Bytes saved on the device so far (equals size once captured). */
  captured: number;
  /** Epoch ms of the last chunk saved: a capture that stopped moving was interrupted. */
  touchedAt: number;
  serverUploadId: string | null;
  /** Bytes the server confirmed. */
  offset: number;
  evidenceId: string | null;
  error: EvidenceUploadError | null;
}

export interface EvidenceChunkRecord {
  uploadId: string;
  index: number;
  bytes: Uint8Array;
}

const EVIDENCE_CHUNK_SIZE = 4 * 1024 * 1024;
/** A verified capture's record (no bytes) stays this long, so the list shows it until the server's does. */
const VERIFIED_KEPT_MS = 7 * 86_400_000;
/** A capture with no chunk saved for this long was cut off (app closed; another tab may be capturing). */
const CAPTURE_STALL_MS = 60_000;

export interface EvidenceOutboxDeps {
  db: SentpilotDb;
  api: EvidenceApi;
  /** The engine's connection: coming back from `offline` (or a new sign-in) uploads at once. */
  connection: ReadonlyObservable<{ status: string }>;
  isOnline(): boolean;
  /** navigator.storage.persist, asked once a capture is stored; absent in tests. */
  persistStorage?(): Promise<boolean>;
  chunkSize?: number;
  now?(): number;
  timers?: Pick<SchedulerDeps, 'setTimeout' | 'clearTimeout'>;
  periodMs?: number;
  /**
   * Runs one upload pass under a lock shared by the app's tabs, or skips it ('ok') while
   * another tab holds it, so two tabs never send the same capture (see `tabLock`).
   */
  exclusive?(pass: () => Promise<RunResult>): Promise<RunResult>;
  onError?(error: unknown): void;
}

/** `exclusive` through the Web Locks API (where the browser lacks it, passes just run). */
export function tabLock(locks: LockManager | undefined): (pass: () => Promise<RunResult>) => Promise<RunResult> {
  if (!locks) return (pass) => pass();
  // The lock is held until the pass's promise settles; request() resolves to what it resolves to.
  return async (pass) => await locks.request('sentpilot-evidence-outbox', { ifAvailable: true }, (lock) => (lock ? pass() : Promise.resolve<RunResult>('ok')));
}

export interface EvidenceOutbox {
  start(): void;
  stop(): void;
  /** Save a file on the device and queue it; resolves to the record id once saved (or failed). */
  capture(incidentId: string, file: Blob, meta: EvidenceCaptureMeta): Promise<string>;
  /** Upload what is waiting now (ignores backoff). */
  kick(): Promise<void>;
  /** A failed upload: try again from the bytes on the device. */
  retry(id: string): Promise<void>;
  /** The user chose to drop a capture: its record and bytes go (and its open upload on the server). */
  remove(id: string): Promise<void>;
  /** This incident's captures, oldest first (read it in a live query). */
  list(incidentId: string): Promise<EvidenceUploadRecord[]>;
}

const SENDABLE: readonly EvidenceUploadState[] = ['waiting', 'uploading', 'stored'];

type Step = 'done' | 'retry-later' | 'refused';

const uploadKey = (rec: EvidenceUploadRecord): string => (rec.attempt === 0 ? rec.id : `${rec.id}.${rec.attempt}`);

export function createEvidenceOutbox(deps: EvidenceOutboxDeps): EvidenceOutbox {
  const uploads: Table<EvidenceUploadRecord, string> = deps.db.table('evidenceUploads');
  const chunks: Table<EvidenceChunkRecord, [string, number]> = deps.db.table('evidenceChunks');
  const chunkSize = deps.chunkSize ?? EVIDENCE_CHUNK_SIZE;
  const now = deps.now ?? Date.now;
  const onError = deps.onError ?? (() => undefined);
  const iso = (): string => new Date(now()).toISOString();
  let persistAsked = false;
  let unsubscribe: (() => void) | null = null;

  const fail = (id: string, code: string, message: string): Promise<number> => uploads.update(id, { state: 'failed', error: { code, message, at: iso() } });

  async function readChunk(id: string, index: number): Promise<Uint8Array | null> {
    return (await chunks.get([id, index]))?.bytes ?? null;
  }

  /** Ask the server for the upload (create it, idempotently) and where to continue. */
  async function resumePoint(
    rec: EvidenceUploadRecord,
  ): Promise<{ kind: 'offset'; uploadId: string; offset: number } | { kind: 'complete'; evidenceId: string } | { kind: 'failure'; failure: ApiFailure }> {
    if (rec.serverUploadId) {
      const got = await deps.api.getUpload(rec.serverUploadId);
      if (got.ok)
        return got.value.state === 'complete' && got.value.evidence_id
          ? { kind: 'complete', evidenceId: got.value.evidence_id }
          : { kind: 'offset', uploadId: got.value.id, offset: got.value.offset };
      // Discarded (a hash mismatch) or expired: create it again below.
      if (!(got.error.kind === 'http' && got.error.status === 404)) return { kind: 'failure', failure: got.error };
    }
    if (rec.sha256 === null) throw new Error(`capture ${rec.id} has no hash`);
    const created = await deps.api.createUpload(rec.incidentId, { ...rec.meta, size: rec.size, sha256: rec.sha256, upload_key: uploadKey(rec) });
    if (!created.ok) return { kind: 'failure', failure: created.error };
    const u = created.value;
    return u.state === 'complete' && u.evidence_id ? { kind: 'complete', evidenceId: u.evidence_id } : { kind: 'offset', uploadId: u.id, offset: u.offset };
  }

  /** A refusal the user must see, or a reason to try later. */
  async function onFailure(id: string, failure: ApiFailure): Promise<Step> {
    if (isTransient(failure) || isUnauthenticated(failure)) {
      await uploads.update(id, { error: { code: failure.kind === 'http' ? failure.code : failure.kind, message: failure.message, at: iso() } });
      return 'retry-later';
    }
    if (failure.kind === 'http' && failure.status === 413) await fail(id, 'quota_exceeded', `The evidence storage quota is full: ${failure.message}`);
    else await fail(id, failure.kind === 'http' ? failure.code : failure.kind, failure.message);
    return 'refused';
  }

  async function verified(rec: EvidenceUploadRecord, evidenceId: string): Promise<Step> {
    await deps.db.transaction('rw', uploads, chunks, async () => {
      await uploads.update(rec.id, { state: 'verified', evidenceId, offset: rec.size, error: null });
      await chunks.where('uploadId').equals(rec.id).delete();
    });
    return 'done';
  }

  async function send(rec: EvidenceUploadRecord): Promise<Step> {
    const point = await resumePoint(rec);
    if (point.kind === 'failure') return onFailure(rec.id, point.failure);
    if (point.kind === 'complete') return verified(rec, point.evidenceId);
    const uploadId = point.uploadId;
    let offset = point.offset;
    let conflicts = 0;
    await uploads.update(rec.id, { serverUploadId: uploadId, offset, state: offset >= rec.size ? 'stored' : 'uploading' });
    while (offset < rec.size) {
      if (!deps.isOnline()) return 'retry-later';
      const index = Math.floor(offset / rec.chunkSize);
      const bytes = await readChunk(rec.id, index);
      if (!bytes) {
        await fail(rec.id, 'missing_chunk', 'Part of the file is no longer on this device; remove this capture and add the file again.');
        return 'refused';
      }
      const put = await deps.api.putChunk(uploadId, offset, bytes.subarray(offset - index * rec.chunkSize));
      if (!put.ok) {
        // Another tab or a lost answer moved the server's offset: ask where it is and go on.
        if (put.error.kind === 'http' && put.error.status === 409 && ++conflicts <= 3) {
          const got = await deps.api.getUpload(uploadId);
          if (!got.ok) return onFailure(rec.id, got.error);
          offset = got.value.offset;
          continue;
        }
        // Conflicts that do not settle (another tab is sending right now): later.
        if (put.error.kind === 'http' && put.error.status === 409) return 'retry-later';
        // The server removed the upload (left idle too long): start a new one from the bytes here.
        if (put.error.kind === 'http' && put.error.status === 404) {
          await uploads.update(rec.id, { serverUploadId: null, offset: 0, state: 'waiting' });
          return 'retry-later';
        }
        return onFailure(rec.id, put.error);
      }
      offset = put.value;
      await uploads.update(rec.id, { offset, state: offset >= rec.size ? 'stored' : 'uploading', error: null });
    }
    const done = await deps.api.complete(uploadId);
    if (!done.ok) {
      // The one 422 of /complete: the bytes the server received do not hash to the declared
      // SHA-256. It discarded the upload; a retry starts a new one from the bytes kept here.
      if (done.error.kind === 'http' && done.error.status === 422) {
        await uploads.update(rec.id, { serverUploadId: null, offset: 0, attempt: rec.attempt + 1 });
        await fail(rec.id, 'hash_mismatch', `The server computed a different SHA-256 and refused the file: ${done.error.message}`);
        return 'refused';
      }
      return onFailure(rec.id, done.error);
    }
    if (done.value.sha256 !== rec.sha256) {
      await fail(rec.id, 'hash_mismatch', `The server stored SHA-256 ${done.value.sha256}, the device computed ${rec.sha256 ?? '?'}.`);
      return 'refused';
    }
    return verified(rec, done.value.id);
  }

  const scheduler = createSyncScheduler({
    periodMs: deps.periodMs ?? 30_000,
    setTimeout: deps.timers?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
    clearTimeout: deps.timers?.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
    now,
    run: () => (deps.exclusive ? deps.exclusive(pass) : pass()),
  });

  async function pass(): Promise<RunResult> {
    await tidy();
    const pending = (
      await uploads
        .where('state')
        .anyOf([...SENDABLE])
        .toArray()
    ).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (pending.length === 0) return 'ok';
    if (!deps.isOnline() || deps.connection.get().status === 'signed-out') return 'failed';
    for (const rec of pending) {
      try {
        if ((await send(rec)) === 'retry-later') return 'failed';
      } catch (e) {
        onError(e);
        return 'failed';
      }
    }
    return 'ok';
  }

  /** A capture the app closed in the middle of is shown as failed; old verified records go. */
  async function tidy(): Promise<void> {
    const cutoff = new Date(now() - VERIFIED_KEPT_MS).toISOString();
    await uploads
      .where('state')
      .equals('verified')
      .filter((r) => r.createdAt < cutoff)
      .delete();
    const interrupted = await uploads
      .where('state')
      .equals('capturing')
      .filter((r) => r.touchedAt < now() - CAPTURE_STALL_MS)
      .toArray();
    for (const rec of interrupted) {
      await chunks.where('uploadId').equals(rec.id).delete();
      await fail(rec.id, 'capture_interrupted', 'The app closed while the file was being saved on this device; add the file again.');
    }
  }

  return {
    start() {
      if (unsubscribe) return;
      // Upload at once when the network comes back (not on every "syncing" → "online" of the
      // engine's periodic sync: the scheduler's own timer covers a server that was down).
      let last = deps.connection.get().status;
      unsubscribe = deps.connection.subscribe((c) => {
        if (canReachServer(c.status) && !canReachServer(last)) void scheduler.now();
        last = c.status;
      });
      scheduler.start();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      scheduler.stop();
    },
    async capture(incidentId, file, meta) {
      const id = newId();
      const size = file.size;
      await uploads.add({
        id,
        incidentId,
        state: 'capturing',
        attempt: 0,
        createdAt: iso(),
        meta,
        size,
        sha256: null,
        chunkSize,
        captured: 0,
        touchedAt: now(),
        serverUploadId: null,
        offset: 0,
        evidenceId: null,
        error: null,
      });
      try {
        const hash = createSha256();
        for (let index = 0, at = 0; at < size; index++, at += chunkSize) {
          const bytes = new Uint8Array(await file.slice(at, Math.min(size, at + chunkSize)).arrayBuffer());
          hash.update(bytes);
          await chunks.put({ uploadId: id, index, bytes });
          await uploads.update(id, { captured: at + bytes.length, touchedAt: now() });
        }
        await uploads.update(id, { sha256: hash.hex(), captured: size, state: 'waiting' });
      } catch (e) {
        await chunks.where('uploadId').equals(id).delete();
        const full = e instanceof Error && e.name === 'QuotaExceededError';
        await fail(
          id,
          full ? 'device_storage_full' : 'capture_failed',
          full ? 'This device has no room left to keep the file offline.' : `The file could not be read: ${e instanceof Error ? e.message : String(e)}`,
        );
        return id;
      }
      if (!persistAsked && deps.persistStorage) {
        persistAsked = true;
        void deps.persistStorage().catch(() => false);
      }
      void scheduler.now();
      return id;
    },
    kick: () => scheduler.now(),
    async retry(id) {
      const rec = await uploads.get(id);
      if (!rec || rec.state !== 'failed' || rec.sha256 === null) return;
      await uploads.update(id, { state: 'waiting', error: null });
      void scheduler.now();
    },
    async remove(id) {
      const rec = await uploads.get(id);
      // Best effort: an upload left open on the server would hold quota until it expires.
      if (rec?.serverUploadId && rec.state !== 'verified') void deps.api.abandonUpload(rec.serverUploadId).catch(onError);
      await deps.db.transaction('rw', uploads, chunks, async () => {
        await chunks.where('uploadId').equals(id).delete();
        await uploads.delete(id);
      });
    },
    list: async (incidentId) => (await uploads.where('incidentId').equals(incidentId).toArray()).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
  };
}

/**
 * Per-document sync bookkeeping in the `syncState` table: recording local edits, what the
 * server announced, the outcome of an exchange, and per-document errors with their backoff.
 */
import { newSyncState, type SentpilotDb, type SyncStateRecord } from './db.ts';
import { serverCovers } from './state-vectors.ts';

/** Per-document error codes that say "try again later" rather than "no". */
const TRANSIENT_DOC_CODES: ReadonlySet<string> = new Set(['unavailable', 'internal', 'rate_limited', 'no_answer']);

export function isTransientDocError(code: string): boolean {
  return TRANSIENT_DOC_CODES.has(code);
}

/** Backoff for one document that the server refused: 5 s, 10 s, 20 s … capped at 10 min. */
export function docRetryDelay(failures: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, failures - 1), 600_000);
}

/** How long a document refused with `forbidden` waits before the background sync asks again. */
export const FORBIDDEN_RETRY_MS = 6 * 60 * 60 * 1000;

/** Record `count` local edits on a document (coalesced by the caller). */
export async function recordLocalEdits(db: SentpilotDb, id: string, count: number): Promise<void> {
  await db.transaction('rw', db.syncState, async () => {
    const row = (await db.syncState.get(id)) ?? newSyncState(id);
    await db.syncState.put({ ...row, dirty: 1, pending: row.pending + count, editSeq: row.editSeq + count, retryAt: 0 });
  });
}

/** Flag documents the server says changed, and store the cursor in the same transaction. */
export async function recordServerChanges(db: SentpilotDb, ids: readonly string[], cursor: number): Promise<void> {
  await db.transaction('rw', db.syncState, db.kv, async () => {
    const rows = await db.syncState.bulkGet([...ids]);
    const next = ids.map((id, i) => ({ ...(rows[i] ?? newSyncState(id)), pull: 1 as const }));
    await db.syncState.bulkPut(next);
    await db.kv.put({ key: CHANGES_CURSOR_KEY, value: cursor });
  });
}

const CHANGES_CURSOR_KEY = 'changesCursor';

export async function readChangesCursor(db: SentpilotDb): Promise<number> {
  const row = await db.kv.get(CHANGES_CURSOR_KEY);
  return typeof row?.value === 'number' && Number.isInteger(row.value) && row.value >= 0 ? row.value : 0;
}

/** Documents the background sync should exchange now: local edits first, then pulls. */
export async function documentsToExchange(db: SentpilotDb, now: number): Promise<string[]> {
  const [dirty, pull] = await Promise.all([db.syncState.where('dirty').equals(1).toArray(), db.syncState.where('pull').equals(1).toArray()]);
  const ids = new Set<string>();
  for (const row of [...dirty, ...pull]) if (row.retryAt <= now) ids.add(row.id);
  return [...ids];
}

export interface SentState {
  id: string;
  editSeq: number;
  pending: number;
}

/**
 * The sync state after an exchange (pure). Edits recorded after the request was built keep the
 * document dirty; so does a local state the server's vector does not cover.
 */
export function afterExchange(row: SyncStateRecord, sent: SentState, serverSV: Uint8Array, localSV: Uint8Array, at: string): SyncStateRecord {
  const raced = row.editSeq !== sent.editSeq;
  let pending = raced ? Math.max(0, row.pending - sent.pending) : 0;
  let dirty: 0 | 1 = raced && pending > 0 ? 1 : 0;
  if (!serverCovers(serverSV, localSV)) {
    dirty = 1;
    pending = Math.max(pending, 1);
  }
  return { ...row, dirty, pending, pull: 0, serverSV, error: null, failures: 0, retryAt: 0, syncedAt: at };
}

/** The sync state after the server refused the document (pure); it backs off and retries. */
export function afterRefusal(row: SyncStateRecord, code: string, message: string, now: number): SyncStateRecord {
  const failures = row.failures + 1;
  return {
    ...row,
    failures,
    // No access is not fixed by retrying; a new login clears the wait (clearRetryWaits).
    retryAt: now + (code === 'forbidden' ? FORBIDDEN_RETRY_MS : docRetryDelay(failures)),
    error: { code: code.slice(0, 64), message: message.slice(0, 500), at: new Date(now).toISOString() },
  };
}

/** Store the outcome of an exchange for one document. */
export async function completeExchange(db: SentpilotDb, sent: SentState, serverSV: Uint8Array, localSV: Uint8Array, at: string): Promise<SyncStateRecord> {
  return db.transaction('rw', db.syncState, async () => {
    const next = afterExchange((await db.syncState.get(sent.id)) ?? newSyncState(sent.id), sent, serverSV, localSV, at);
    await db.syncState.put(next);
    return next;
  });
}

/** Mark a document the server refused; the others in the batch carry on. */
export async function recordDocError(db: SentpilotDb, id: string, code: string, message: string, now: number): Promise<void> {
  await db.transaction('rw', db.syncState, async () => {
    await db.syncState.put(afterRefusal((await db.syncState.get(id)) ?? newSyncState(id), code, message, now));
  });
}

/** Make every document eligible again right away (the user pressed "Sync now"). */
export async function clearRetryWaits(db: SentpilotDb): Promise<void> {
  await db.syncState.filter((r) => r.retryAt > 0).modify({ retryAt: 0 });
}

export interface PendingTotals {
  /** Local edits not yet confirmed by the server, over all documents. */
  changes: number;
  /** Documents with such edits. */
  documents: number;
  /** Documents whose last exchange was refused. */
  errors: number;
}

export async function pendingTotals(db: SentpilotDb): Promise<PendingTotals> {
  const [dirty, pull] = await Promise.all([db.syncState.where('dirty').equals(1).toArray(), db.syncState.where('pull').equals(1).toArray()]);
  let changes = 0;
  for (const row of dirty) changes += Math.max(row.pending, 1);
  const errored = new Set([...dirty, ...pull].filter((r) => r.error).map((r) => r.id));
  return { changes, documents: dirty.length, errors: errored.size };
}

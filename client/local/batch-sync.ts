/**
 * The batched background exchange for every document that is not kept live over a socket:
 * learn from GET /sync/changes which documents changed on the server, then POST /sync/batch
 * with each document's state vector and pending update (≤ 200 documents per call) and store
 * what the server answers. A per-document refusal marks that document and the others carry on;
 * a network failure stops the run so the scheduler can back off.
 */
import * as Y from 'yjs';
import { SYNC_BATCH_MAX_DOCS } from '../../shared/api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { newSyncState, type SentpilotDb } from './db.ts';
import { addIncidentRow, appendUpdate, loadStoredDoc } from './doc-storage.ts';
import { summarizeDoc, type IncidentSummary } from './incident-summary.ts';
import { fromB64, outgoing, toB64 } from './state-vectors.ts';
import { isTransient, type ApiFailure, type SyncApi } from './sync-api.ts';
import {
  completeExchange,
  documentsToExchange,
  readChangesCursor,
  recordDocError,
  recordServerChanges,
  type SentState,
} from './sync-state.ts';

/** Transaction origin of updates the background sync applies to a live document. */
export const SYNC_ORIGIN = 'sentpilot-batch-sync';

/** A request body stays well under the server's limits (8 MB per field). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_DOC_BYTES = 8 * 1024 * 1024;
const CHANGES_PAGE = 1000;
const MAX_CHANGE_PAGES = 50;

export interface BatchSyncDeps {
  db: SentpilotDb;
  api: SyncApi;
  /** The document's live Y.Doc when it is open on screen (updates go there), else null. */
  liveDoc(id: string): Y.Doc | null;
  now(): number;
  /** Documents per call; at most SYNC_BATCH_MAX_DOCS. */
  chunkSize?: number;
}

export interface ExchangeReport {
  exchanged: string[];
  refused: { id: string; code: string; message: string }[];
}

export type SyncOutcome =
  | { kind: 'ok'; report: ExchangeReport; announced: number }
  | { kind: 'failed'; failure: ApiFailure; transient: boolean };

interface Prepared {
  id: string;
  doc: Y.Doc;
  live: boolean;
  sent: SentState;
  stateVector: string;
  update: string | null;
}

/** Read /sync/changes from the stored cursor and flag what it lists. Returns how many. */
export async function pullChanges(deps: BatchSyncDeps): Promise<Result<number, ApiFailure>> {
  let cursor = await readChangesCursor(deps.db);
  let announced = 0;
  for (let page = 0; page < MAX_CHANGE_PAGES; page++) {
    const res = await deps.api.changes(cursor, CHANGES_PAGE);
    if (!res.ok) return res;
    const ids = [...new Set(res.value.changes.map((c) => c.id))];
    await recordServerChanges(deps.db, ids, res.value.cursor);
    announced += ids.length;
    cursor = res.value.cursor;
    if (!res.value.more) break;
  }
  return ok(announced);
}

async function prepare(deps: BatchSyncDeps, id: string): Promise<Prepared> {
  const state = (await deps.db.syncState.get(id)) ?? newSyncState(id);
  const live = deps.liveDoc(id);
  const doc = live ?? (await loadStoredDoc(deps.db, id));
  const out = outgoing(doc, state.serverSV, state.dirty === 1);
  return {
    id,
    doc,
    live: live !== null,
    sent: { id, editSeq: state.editSeq, pending: state.pending },
    stateVector: toB64(out.stateVector),
    update: out.update ? toB64(out.update) : null,
  };
}

/** Apply what the server sent; returns the new index row when a stored document changed. */
async function applyIncoming(deps: BatchSyncDeps, p: Prepared, update: Uint8Array): Promise<IncidentSummary | null> {
  if (p.live) {
    // The open session persists it (y-dexie) and re-indexes it.
    Y.applyUpdate(p.doc, update, SYNC_ORIGIN);
    return null;
  }
  let changed = false;
  const onUpdate = (): void => {
    changed = true;
  };
  p.doc.on('update', onUpdate);
  try {
    Y.applyUpdate(p.doc, update, SYNC_ORIGIN);
  } finally {
    p.doc.off('update', onUpdate);
  }
  if (!changed) return null;
  const summary = summarizeDoc(p.id, p.doc);
  if ((await deps.db.incidents.get(p.id)) !== undefined) {
    await appendUpdate(deps.db, p.id, update);
    return summary;
  }
  // A document this device did not have: store it only once it holds an incident.
  if (summary) await addIncidentRow(deps.db, summary, p.doc);
  return null;
}

async function sendChunk(deps: BatchSyncDeps, chunk: Prepared[], report: ExchangeReport): Promise<Result<void, ApiFailure>> {
  const res = await deps.api.batch({
    docs: chunk.map((p) => (p.update === null ? { id: p.id, state_vector: p.stateVector } : { id: p.id, state_vector: p.stateVector, update: p.update })),
  });
  if (!res.ok) {
    if (!isTransient(res.error)) {
      const message = res.error.kind === 'network' ? res.error.message : res.error.message;
      const code = res.error.kind === 'http' ? res.error.code : res.error.kind;
      for (const p of chunk) {
        await recordDocError(deps.db, p.id, code, message, deps.now());
        report.refused.push({ id: p.id, code, message });
      }
    }
    return res;
  }
  const byId = new Map(chunk.map((p) => [p.id, p]));
  const answered = new Set<string>();
  const summaries: IncidentSummary[] = [];
  for (const d of res.value.docs) {
    const p = byId.get(d.id);
    if (!p || answered.has(d.id)) continue;
    answered.add(d.id);
    try {
      const serverSV = fromB64(d.state_vector);
      Y.decodeStateVector(serverSV); // throws on junk before anything is stored
      const summary = await applyIncoming(deps, p, fromB64(d.update));
      if (summary) summaries.push(summary);
      await completeExchange(deps.db, p.sent, serverSV, Y.encodeStateVector(p.doc), new Date(deps.now()).toISOString());
      report.exchanged.push(p.id);
    } catch (e) {
      const message = `The server's answer for this incident could not be applied: ${e instanceof Error ? e.message : String(e)}`;
      await recordDocError(deps.db, p.id, 'bad_answer', message, deps.now());
      report.refused.push({ id: p.id, code: 'bad_answer', message });
    }
  }
  for (const e of res.value.errors) {
    if (!byId.has(e.id) || answered.has(e.id)) continue;
    answered.add(e.id);
    await recordDocError(deps.db, e.id, e.code, e.message, deps.now());
    report.refused.push({ id: e.id, code: e.code, message: e.message });
  }
  for (const p of chunk) {
    if (answered.has(p.id)) continue;
    const message = 'The server did not answer for this incident.';
    await recordDocError(deps.db, p.id, 'no_answer', message, deps.now());
    report.refused.push({ id: p.id, code: 'no_answer', message });
  }
  if (summaries.length) await deps.db.incidents.bulkPut(summaries);
  for (const p of chunk) if (!p.live) p.doc.destroy();
  return ok(undefined);
}

/** Exchange the given documents, in calls of at most `chunkSize` documents and ~4 MB. */
export async function exchange(deps: BatchSyncDeps, ids: readonly string[]): Promise<Result<ExchangeReport, ApiFailure>> {
  const chunkSize = Math.max(1, Math.min(deps.chunkSize ?? SYNC_BATCH_MAX_DOCS, SYNC_BATCH_MAX_DOCS));
  const report: ExchangeReport = { exchanged: [], refused: [] };
  let chunk: Prepared[] = [];
  let bytes = 0;
  const flush = async (): Promise<Result<void, ApiFailure>> => {
    if (chunk.length === 0) return ok(undefined);
    const sending = chunk;
    chunk = [];
    bytes = 0;
    return sendChunk(deps, sending, report);
  };
  for (const id of new Set(ids)) {
    const p = await prepare(deps, id);
    const size = p.stateVector.length + (p.update?.length ?? 0);
    if (size > MAX_DOC_BYTES) {
      const message = 'This incident is too large for the background sync; open it to sync it live.';
      await recordDocError(deps.db, id, 'too_large', message, deps.now());
      report.refused.push({ id, code: 'too_large', message });
      if (!p.live) p.doc.destroy();
      continue;
    }
    if (chunk.length >= chunkSize || (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      const sent = await flush();
      if (!sent.ok && isTransient(sent.error)) return err(sent.error);
    }
    chunk.push(p);
    bytes += size;
  }
  const sent = await flush();
  if (!sent.ok && isTransient(sent.error)) return err(sent.error);
  return ok(report);
}

/** One background sync run: pull the server's change list, then exchange what needs it. */
export async function syncOnce(deps: BatchSyncDeps, opts: { ids?: readonly string[] } = {}): Promise<SyncOutcome> {
  const pulled = await pullChanges(deps);
  // A refused change list (an older server) must not stop local edits from being pushed.
  if (!pulled.ok && isTransient(pulled.error)) return { kind: 'failed', failure: pulled.error, transient: true };
  const due = await documentsToExchange(deps.db, deps.now());
  const res = await exchange(deps, [...(opts.ids ?? []), ...due]);
  if (!res.ok) return { kind: 'failed', failure: res.error, transient: isTransient(res.error) };
  return { kind: 'ok', report: res.value, announced: pulled.ok ? pulled.value : 0 };
}

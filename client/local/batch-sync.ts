/**
 * The batched background exchange for every document that is not kept live over a socket:
 * learn from GET /sync/changes which documents changed on the server, then POST /sync/batch
 * with each document's state vector and pending update (≤ 200 documents per call) and store
 * what the server answers. A per-document refusal marks that document and the others carry on;
 * a network failure stops the run so the scheduler can back off. Each call's results are
 * written in one IndexedDB transaction, so a first sync of thousands of incidents does not
 * wake the list thousands of times.
 */
import * as Y from 'yjs';
import { SYNC_BATCH_MAX_DOCS } from '../../shared/api.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { newSyncState, updatesTable, type IncidentInsert, type SentpilotDb } from './db.ts';
import { loadStoredDocs } from './doc-storage.ts';
import { summarizeDoc, type IncidentSummary } from './incident-summary.ts';
import { fromB64, outgoing, toB64 } from './state-vectors.ts';
import { isTransient, isUnauthenticated, type ApiFailure, type SyncApi } from './sync-api.ts';
import { afterExchange, afterRefusal, documentsToExchange, readChangesCursor, recordServerChanges, type SentState } from './sync-state.ts';

/** Transaction origin of updates the background sync applies to a live document. */
const SYNC_ORIGIN = 'sentpilot-batch-sync';

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

export type SyncOutcome = { kind: 'ok'; report: ExchangeReport; announced: number } | { kind: 'failed'; failure: ApiFailure; transient: boolean };

interface Prepared {
  id: string;
  doc: Y.Doc;
  live: boolean;
  sent: SentState;
  stateVector: string;
  update: string | null;
}

/** What one exchanged document needs written. */
interface Done {
  p: Prepared;
  serverSV: Uint8Array;
  /** The server's update when it changed a stored (not live) document. */
  stored: { update: Uint8Array; summary: IncidentSummary | null } | null;
}

type Refusal = ExchangeReport['refused'][number];

/**
 * Failures that end the run without marking any document: try again later (offline, server
 * busy), or after the user logs in again (401: nothing was refused, the session ended).
 */
function stopsRun(failure: ApiFailure): boolean {
  return isTransient(failure) || isUnauthenticated(failure);
}

/** Read /sync/changes from the stored cursor and flag what it lists. Returns how many. */
async function pullChanges(deps: BatchSyncDeps): Promise<Result<number, ApiFailure>> {
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

async function prepareGroup(deps: BatchSyncDeps, ids: readonly string[]): Promise<Prepared[]> {
  const states = await deps.db.syncState.bulkGet([...ids]);
  const stored = await loadStoredDocs(
    deps.db,
    ids.filter((id) => !deps.liveDoc(id)),
  );
  return ids.map((id, i) => {
    const state = states[i] ?? newSyncState(id);
    const live = deps.liveDoc(id);
    const doc = live ?? stored.get(id) ?? new Y.Doc({ guid: id });
    const out = outgoing(doc, state.serverSV, state.dirty === 1);
    return {
      id,
      doc,
      live: live !== null,
      sent: { id, editSeq: state.editSeq, pending: state.pending },
      stateVector: toB64(out.stateVector),
      update: out.update ? toB64(out.update) : null,
    };
  });
}

/** Apply the server's answer for one document in memory (the caller stores it). */
function applyAnswer(p: Prepared, update: Uint8Array): Done['stored'] {
  if (p.live) {
    // The open session persists it (y-dexie) and re-indexes it.
    Y.applyUpdate(p.doc, update, SYNC_ORIGIN);
    return null;
  }
  // Changed when the update brought structs or deletions the document lacked: the test Yjs makes
  // before its 'update' event, without encoding the update again for a listener (a second pass
  // over a 10,000-entry incident's first download).
  let changed = false;
  const onTransaction = (tr: Y.Transaction): void => {
    if (tr.deleteSet.clients.size > 0) changed = true;
    for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) changed = true;
  };
  p.doc.on('afterTransaction', onTransaction);
  try {
    Y.applyUpdate(p.doc, update, SYNC_ORIGIN);
  } finally {
    p.doc.off('afterTransaction', onTransaction);
  }
  return changed ? { update, summary: summarizeDoc(p.id, p.doc) } : null;
}

/** Write a call's results (documents, index rows, sync states) in one transaction. */
async function storeResults(deps: BatchSyncDeps, done: Done[], refused: Refusal[]): Promise<void> {
  const { db } = deps;
  const now = deps.now();
  const at = new Date(now).toISOString();
  const changed = done.filter((d) => d.stored !== null);
  await db.transaction('rw', [db.incidents, db.syncState, updatesTable(db)], async () => {
    const existing = new Set(
      await db.incidents
        .where(':id')
        .anyOf(changed.map((d) => d.p.id))
        .primaryKeys(),
    );
    const appended: { k: string; u: Uint8Array }[] = [];
    const summaries: IncidentSummary[] = [];
    const added: IncidentInsert[] = [];
    for (const d of changed) {
      const stored = d.stored;
      if (!stored) continue;
      if (existing.has(d.p.id)) {
        // No `f` flag: y-dexie marks only this device's own updates with it.
        appended.push({ k: d.p.id, u: Y.convertUpdateFormatV1ToV2(stored.update) });
        if (stored.summary) summaries.push(stored.summary);
      } else if (stored.summary) {
        // A document this device did not have: stored once it holds an incident.
        added.push({ ...stored.summary, doc: d.p.doc });
      }
    }
    if (appended.length) await updatesTable(db).bulkAdd(appended);
    if (added.length) await db.incidents.bulkAdd(added);
    if (summaries.length) await db.incidents.bulkPut(summaries);
    const ids = [...done.map((d) => d.p.id), ...refused.map((r) => r.id)];
    const rows = await db.syncState.bulkGet(ids);
    const next = [
      ...done.map((d, i) => afterExchange(rows[i] ?? newSyncState(d.p.id), d.p.sent, d.serverSV, Y.encodeStateVector(d.p.doc), at)),
      ...refused.map((r, i) => afterRefusal(rows[done.length + i] ?? newSyncState(r.id), r.code, r.message, now)),
    ];
    await db.syncState.bulkPut(next);
  });
}

async function sendChunk(deps: BatchSyncDeps, chunk: Prepared[], report: ExchangeReport): Promise<Result<void, ApiFailure>> {
  const res = await deps.api.batch({
    docs: chunk.map((p) => (p.update === null ? { id: p.id, state_vector: p.stateVector } : { id: p.id, state_vector: p.stateVector, update: p.update })),
  });
  if (!res.ok) {
    if (!stopsRun(res.error)) {
      const code = res.error.kind === 'http' ? res.error.code : res.error.kind;
      const refused = chunk.map((p) => ({ id: p.id, code, message: res.error.message }));
      await storeResults(deps, [], refused);
      report.refused.push(...refused);
    }
    return res;
  }
  const byId = new Map(chunk.map((p) => [p.id, p]));
  const answered = new Set<string>();
  const done: Done[] = [];
  const refused: Refusal[] = [];
  for (const d of res.value.docs) {
    const p = byId.get(d.id);
    if (!p || answered.has(d.id)) continue;
    answered.add(d.id);
    try {
      const serverSV = fromB64(d.state_vector);
      Y.decodeStateVector(serverSV); // throws on junk before anything is applied
      done.push({ p, serverSV, stored: applyAnswer(p, fromB64(d.update)) });
    } catch (e) {
      refused.push({
        id: p.id,
        code: 'bad_answer',
        message: `The server's answer for this incident could not be applied: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  for (const e of res.value.errors) {
    if (!byId.has(e.id) || answered.has(e.id)) continue;
    answered.add(e.id);
    refused.push({ id: e.id, code: e.code, message: e.message });
  }
  for (const p of chunk) {
    if (!answered.has(p.id)) refused.push({ id: p.id, code: 'no_answer', message: 'The server did not answer for this incident.' });
  }
  await storeResults(deps, done, refused);
  report.exchanged.push(...done.map((d) => d.p.id));
  report.refused.push(...refused);
  for (const p of chunk) if (!p.live) p.doc.destroy();
  return ok(undefined);
}

/** Exchange the given documents, in calls of at most `chunkSize` documents and ~4 MB. */
export async function exchange(deps: BatchSyncDeps, ids: readonly string[]): Promise<Result<ExchangeReport, ApiFailure>> {
  const chunkSize = Math.max(1, Math.min(deps.chunkSize ?? SYNC_BATCH_MAX_DOCS, SYNC_BATCH_MAX_DOCS));
  const report: ExchangeReport = { exchanged: [], refused: [] };
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += chunkSize) {
    const group = await prepareGroup(deps, unique.slice(start, start + chunkSize));
    const tooLarge: Refusal[] = [];
    let chunk: Prepared[] = [];
    let bytes = 0;
    for (const p of group) {
      const size = p.stateVector.length + (p.update?.length ?? 0);
      if (size > MAX_DOC_BYTES) {
        tooLarge.push({ id: p.id, code: 'too_large', message: 'This incident is too large for the background sync; open it to sync it live.' });
        continue;
      }
      if (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES) {
        const sent = await sendChunk(deps, chunk, report);
        if (!sent.ok && stopsRun(sent.error)) return err(sent.error);
        chunk = [];
        bytes = 0;
      }
      chunk.push(p);
      bytes += size;
    }
    if (tooLarge.length) {
      await storeResults(deps, [], tooLarge);
      report.refused.push(...tooLarge);
    }
    if (chunk.length) {
      const sent = await sendChunk(deps, chunk, report);
      if (!sent.ok && stopsRun(sent.error)) return err(sent.error);
    }
  }
  return ok(report);
}

/** One background sync run: pull the server's change list, then exchange what needs it. */
export async function syncOnce(deps: BatchSyncDeps, opts: { ids?: readonly string[] } = {}): Promise<SyncOutcome> {
  const pulled = await pullChanges(deps);
  // A refused change list (an older server) must not stop local edits from being pushed.
  if (!pulled.ok && stopsRun(pulled.error)) return { kind: 'failed', failure: pulled.error, transient: isTransient(pulled.error) };
  const due = await documentsToExchange(deps.db, deps.now());
  const res = await exchange(deps, [...(opts.ids ?? []), ...due]);
  if (!res.ok) return { kind: 'failed', failure: res.error, transient: isTransient(res.error) };
  return { kind: 'ok', report: res.value, announced: pulled.ok ? pulled.value : 0 };
}

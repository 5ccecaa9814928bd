/**
 * The device's IndexedDB through Dexie and y-dexie:
 *   incidents  one row per incident: the list index (IncidentSummary) plus `doc`, the incident's
 *              Y.Doc, which y-dexie persists as updates in its own table ($incidents.doc_updates)
 *   syncState  per document: local edits not yet on the server, the last server state vector,
 *              whether the server announced changes to pull, and the last per-document error
 *   kv         small device-wide values (the /sync/changes cursor)
 *   outbox, evidenceUploads, evidenceChunks (version 2): see below
 * Each call to openDb opens its own instance: nothing here is a module-level singleton.
 */
import { Dexie, type Table } from 'dexie';
import yDexie from 'y-dexie';
import type * as Y from 'yjs';
import type { IncidentSummary } from './incident-summary.ts';

/** A row of `incidents` as read: the summary plus the document y-dexie attaches. */
export interface IncidentRecord extends IncidentSummary {
  readonly doc: Y.Doc;
}

/** What may be written to `incidents`: a summary, with a Y.Doc only when adding a new row. */
export type IncidentInsert = IncidentSummary & { doc?: Y.Doc };

interface DocSyncError {
  code: string;
  message: string;
  at: string;
}

export interface SyncStateRecord {
  id: string;
  /** 1 while local edits may not be on the server (a number: IndexedDB cannot index booleans). */
  dirty: 0 | 1;
  /** 1 when the server announced changes this device has not pulled yet. */
  pull: 0 | 1;
  /** Local edits (transactions) not confirmed by the server yet. */
  pending: number;
  /** Grows with every recorded local edit, so an exchange can tell whether edits raced it. */
  editSeq: number;
  /** The server's state vector after the last exchange; null before the first. */
  serverSV: Uint8Array | null;
  /** The last refusal for this document, shown on its page; null when it synced fine. */
  error: DocSyncError | null;
  /** Consecutive failures, for the per-document backoff. */
  failures: number;
  /** Epoch ms before which the background sync skips this document (0: no wait). */
  retryAt: number;
  syncedAt: string | null;
}

interface KvRecord {
  key: string;
  value: unknown;
}

export type SentpilotDb = Dexie & {
  incidents: Table<IncidentRecord, string, IncidentInsert>;
  syncState: Table<SyncStateRecord, string>;
  kv: Table<KvRecord, string>;
};

const DEFAULT_DB_NAME = 'sentpilot';

/** Open (or create) the device database. `gc: false` in tests keeps y-dexie's timer off. */
export function openDb(name: string = DEFAULT_DB_NAME, opts: { gc?: boolean } = {}): SentpilotDb {
  const addon = yDexie({ gc: opts.gc ?? true });
  const db = new Dexie(name, { addons: addon ? [addon] : [] }) as SentpilotDb;
  db.version(1).stores({
    incidents: 'id, updatedAt, createdAt, status, severity, key, doc: Y.Doc',
    syncState: 'id, dirty, pull',
    kv: 'key',
  });
  // Requests made on the device for the server's single authority, replayed when online:
  //   outbox           API requests with idempotency keys (playbook runs): client/local/outbox.ts
  //   evidenceUploads  evidence captured on the device, its hash and upload state, and
  //   evidenceChunks   its bytes in chunks (resumable upload): client/local/evidence-outbox.ts
  db.version(2).stores({
    outbox: 'id, state, createdAt',
    evidenceUploads: 'id, incidentId, state, createdAt',
    evidenceChunks: '[uploadId+index], uploadId',
  });
  // The compact copy of high-confidence threat-intel indicators for offline lookups
  // (client/local/intel-snapshot.ts): one row per [type+value], replaced whole on refresh.
  db.version(3).stores({ indicators: '[type+value], value' });
  return db;
}

/** The y-dexie table holding the updates of every incident document (rows `{ i, k, u, f? }`). */
export function updatesTable(db: SentpilotDb): Table<{ i?: number; k: string; u: Uint8Array; f?: number }, number> {
  const schema = db.incidents.schema as { yProps?: { prop: string; updatesTable: string }[] };
  const name = schema.yProps?.find((p) => p.prop === 'doc')?.updatesTable;
  if (!name) throw new Error('incidents.doc is not declared as a Y.Doc property');
  return db.table(name);
}

/** A fresh sync state for a document the device has not exchanged yet. */
export function newSyncState(id: string): SyncStateRecord {
  return { id, dirty: 0, pull: 0, pending: 0, editSeq: 0, serverSV: null, error: null, failures: 0, retryAt: 0, syncedAt: null };
}

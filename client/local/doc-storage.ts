/**
 * Documents at rest, without going through y-dexie's provider: the background sync reads a
 * document's state straight from the stored updates and appends what the server sent, so it can
 * exchange hundreds of documents without loading them into the doc cache. A tab that has the
 * document open picks the appended update up through y-dexie's live query.
 */
import * as Y from 'yjs';
import { updatesTable, type IncidentInsert, type SentpilotDb } from './db.ts';
import { summarizeDoc, type IncidentSummary } from './incident-summary.ts';

/** A detached Y.Doc (guid = id) holding everything stored for the document. */
export async function loadStoredDoc(db: SentpilotDb, id: string): Promise<Y.Doc> {
  const rows = await updatesTable(db).where('k').equals(id).toArray();
  const doc = new Y.Doc({ guid: id });
  Y.transact(doc, () => {
    for (const row of rows) Y.applyUpdateV2(doc, row.u);
  });
  return doc;
}

/** Store an update (Yjs v1 format, as the server sends it) for a document that has a row. */
export async function appendUpdate(db: SentpilotDb, id: string, update: Uint8Array): Promise<void> {
  // No `f` flag: y-dexie marks only this device's own updates with it.
  await updatesTable(db).add({ k: id, u: Y.convertUpdateFormatV1ToV2(update) });
}

/**
 * Add an incident row for a document this device did not have (created elsewhere, or just
 * created here). y-dexie stores a copy of the document's state.
 */
export async function addIncidentRow(db: SentpilotDb, summary: IncidentSummary, doc: Y.Doc): Promise<void> {
  const row: IncidentInsert = { ...summary, doc };
  await db.incidents.add(row);
}

/** Re-derive the index row of a stored document (after a remote update). */
export async function reindexStored(db: SentpilotDb, id: string): Promise<IncidentSummary | null> {
  const doc = await loadStoredDoc(db, id);
  const summary = summarizeDoc(id, doc);
  doc.destroy();
  if (summary) await db.incidents.put(summary);
  return summary;
}

/**
 * Documents at rest, without going through y-dexie's provider: the background sync reads a
 * document's state straight from the stored updates and appends what the server sent, so it can
 * exchange hundreds of documents without loading them into the doc cache. A tab that has the
 * document open picks the appended update up through y-dexie's live query.
 */
import * as Y from 'yjs';
import { updatesTable, type IncidentInsert, type SentpilotDb } from './db.ts';
import type { IncidentSummary } from './incident-summary.ts';

/** A detached Y.Doc (guid = id) holding everything stored for the document. */
export async function loadStoredDoc(db: SentpilotDb, id: string): Promise<Y.Doc> {
  const rows = await updatesTable(db).where('k').equals(id).toArray();
  const doc = new Y.Doc({ guid: id });
  Y.transact(doc, () => {
    for (const row of rows) Y.applyUpdateV2(doc, row.u);
  });
  return doc;
}

/** Detached Y.Docs for several documents, read in one query (documents without updates are empty). */
export async function loadStoredDocs(db: SentpilotDb, ids: readonly string[]): Promise<Map<string, Y.Doc>> {
  const docs = new Map(ids.map((id) => [id, new Y.Doc({ guid: id })]));
  if (ids.length === 0) return docs;
  const rows = await updatesTable(db)
    .where('k')
    .anyOf([...ids])
    .toArray();
  for (const row of rows) {
    const doc = docs.get(row.k);
    if (doc) Y.applyUpdateV2(doc, row.u);
  }
  return docs;
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

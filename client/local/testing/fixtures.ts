/** Small factories for the local-core tests: a fresh database, an incident stored on the device. */
import * as Y from 'yjs';
import { createIncident, type NewIncident } from '../../../shared/incident-doc.ts';
import { newId } from '../../../shared/ids.ts';
import { openDb, type SentpilotDb } from '../db.ts';
import { addIncidentRow, appendUpdate, loadStoredDoc } from '../doc-storage.ts';
import { summarizeDoc } from '../incident-summary.ts';
import { recordLocalEdits } from '../sync-state.ts';

let counter = 0;

/** A database of its own (fake-indexeddb must be loaded by the test file). */
export function makeDb(): SentpilotDb {
  return openDb(`sentpilot-test-${process.pid}-${Date.now()}-${counter++}`, { gc: false });
}

export function makeIncidentDoc(init: Partial<NewIncident> = {}, id: string = newId()): Y.Doc {
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Suspicious login', createdBy: 'alice', ...init });
  return doc;
}

/** Store a new incident on the device as if created here (dirty, one pending edit). */
export async function seedLocalIncident(db: SentpilotDb, init: Partial<NewIncident> = {}): Promise<string> {
  const doc = makeIncidentDoc(init);
  const summary = summarizeDoc(doc.guid, doc);
  if (!summary) throw new Error('not an incident');
  await addIncidentRow(db, summary, doc);
  await recordLocalEdits(db, doc.guid, 1);
  return doc.guid;
}

/** Edit a stored (closed) document the way a session would, and record the edit. */
export async function editStored(db: SentpilotDb, id: string, edit: (doc: Y.Doc) => void): Promise<void> {
  const doc = await loadStoredDoc(db, id);
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  edit(doc);
  for (const u of updates) await appendUpdate(db, id, u);
  await recordLocalEdits(db, id, updates.length);
}

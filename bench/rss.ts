/**
 * Server memory: resident set size after start (idle), while 1,000 incidents are loaded, and after
 * they have been unloaded (the document linger has passed).
 */
import * as Y from 'yjs';
import { createIncident, addTimelineEntry } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { startServerProcess } from './server-process.ts';

const INCIDENTS = 1_000;
const LINGER_MS = 2_000;

const mb = (n: number): string => `${n.toFixed(1)} MB`;
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

export async function benchRss(databaseUrl: string, external: boolean): Promise<Record<string, string>> {
  const server = await startServerProcess(databaseUrl, { DOC_LINGER_MS: String(LINGER_MS) });
  await new Promise((r) => setTimeout(r, 2_000));
  const idle = server.rssMb();
  let peak = idle;
  for (let i = 0; i < INCIDENTS; i += 100) {
    const docs = [];
    for (let j = 0; j < 100; j++) {
      const doc = new Y.Doc({ guid: newId() });
      createIncident(doc, { title: `RSS incident ${i + j}`, createdBy: 'bench' });
      for (let k = 0; k < 5; k++) addTimelineEntry(doc, { kind: 'note', author: 'bench', text: `note ${k} `.repeat(10) });
      docs.push({ id: doc.guid, state_vector: b64(Y.encodeStateVector(new Y.Doc())), update: b64(Y.encodeStateAsUpdate(doc)) });
    }
    const r = await fetch(`${server.url}/api/v1/sync/batch`, { method: 'POST', headers: { 'content-type': 'application/json', ...server.headers }, body: JSON.stringify({ docs }) });
    if (!r.ok) throw new Error(`batch failed: ${r.status} ${await r.text()}`);
    peak = Math.max(peak, server.rssMb());
  }
  // Wait for projection, linger and unload, then for the heap to settle.
  await new Promise((r) => setTimeout(r, LINGER_MS + 8_000));
  const after = server.rssMb();
  await server.stop();
  return {
    postgres: external ? 'external (DATABASE_URL)' : 'embedded (its own processes, not counted)',
    'idle RSS after start': mb(idle),
    [`peak RSS while ${INCIDENTS} incidents loaded`]: mb(peak),
    [`RSS after ${INCIDENTS} incidents unloaded`]: mb(after),
  };
}

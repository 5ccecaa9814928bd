// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { documentStoreContract } from './document-store.contract.ts';
import { createPgDocumentStore } from './pg-document-store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

documentStoreContract('postgres', async () => ({ store: createPgDocumentStore(db.sql), cleanup: async () => {} }));

describe('Postgres document store', () => {
  it('SY15: keeps seq order equal to commit order under concurrent appends', async () => {
    const store = createPgDocumentStore(db.sql);
    const ids = Array.from({ length: 20 }, () => newId());
    const update = (id: string) => {
      const d = new Y.Doc({ guid: id });
      createIncident(d, { title: 'concurrent', createdBy: 't' });
      return Y.encodeStateAsUpdate(d);
    };
    const results = (await Promise.all(ids.map((id) => store.append([{ id, update: update(id) }])))).flat();
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(ids.length);
    const changes = await store.changes(0, 1000);
    const feed = changes.filter((c) => ids.includes(c.id)).map((c) => c.seq);
    expect(feed).toEqual(seqs);
  });
});

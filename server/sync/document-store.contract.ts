/**
 * The contract every DocumentStore meets, run against the memory store (unit) and the Postgres
 * store (integration): loading after a seq, appends with sequence numbers and announcements,
 * compaction that keeps the state, the changes feed.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTimelineEntry, createIncident, readIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { waitFor } from '../testing/wait-for.ts';
import { mergeToState } from './compactor.ts';
import type { DocumentChange, DocumentStore } from './document-store.ts';

function editsOf(id: string, n: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc({ guid: id });
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  createIncident(doc, { title: 'Contract incident', createdBy: 'tester' });
  for (let i = 0; i < n; i++) addTimelineEntry(doc, { kind: 'note', author: 'tester', text: `note ${i}` });
  return { doc, updates };
}

function rebuild(parts: { snapshot: Uint8Array | null; updates: Uint8Array[] }): Y.Doc {
  const doc = new Y.Doc();
  if (parts.snapshot) Y.applyUpdate(doc, parts.snapshot);
  for (const u of parts.updates) Y.applyUpdate(doc, u);
  return doc;
}

export function documentStoreContract(name: string, makeStore: () => Promise<{ store: DocumentStore; cleanup(): Promise<void> }>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    it('reports an unknown document as not existing', async () => {
      const { store, cleanup } = await makeStore();
      const s = await store.loadSince(newId(), 0);
      expect(s).toMatchObject({ exists: false, snapshot: null, updates: [] });
      await cleanup();
    });

    it('appends updates with increasing seqs and loads them back in order', async () => {
      const { store, cleanup } = await makeStore();
      const id = newId();
      const { doc, updates } = editsOf(id, 3);
      const seqs: number[] = [];
      let prev = 0;
      for (const u of updates) {
        const [r] = await store.append([{ id, update: u }]);
        expect(r?.prevSeq).toBe(prev);
        prev = r?.seq ?? 0;
        seqs.push(prev);
      }
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      const all = await store.loadSince(id, 0);
      expect(all.exists).toBe(true);
      expect(all.seq).toBe(seqs.at(-1));
      expect(Y.equalSnapshots(Y.snapshot(rebuild(all)), Y.snapshot(doc))).toBe(true);
      const tail = await store.loadSince(id, seqs[1] ?? 0);
      expect(tail.updates).toHaveLength(seqs.length - 2);
      await cleanup();
    });

    it('appends to several documents in one call and announces each', async () => {
      const { store, cleanup } = await makeStore();
      const heard: DocumentChange[] = [];
      const sub = await store.subscribe({ onAppend: (c) => heard.push(c), onAwareness: () => {}, onResync: () => {} });
      const a = newId();
      const b = newId();
      const results = await store.append([
        { id: a, update: Y.encodeStateAsUpdate(editsOf(a, 0).doc) },
        { id: b, update: Y.encodeStateAsUpdate(editsOf(b, 1).doc) },
      ]);
      expect(results.map((r) => r.id).sort()).toEqual([a, b].sort());
      for (const r of results) await waitFor(() => heard.some((h) => h.id === r.id && h.seq === r.seq), { message: 'announcement' });
      await sub.close();
      await cleanup();
    });

    it('shares awareness with the other subscribers, not back to the publisher', async () => {
      const { store, cleanup } = await makeStore();
      const got: { who: string; id: string; update: Uint8Array }[] = [];
      const listen = (who: string) => store.subscribe({ onAppend: () => {}, onAwareness: (id, update) => got.push({ who, id, update }), onResync: () => {} });
      const a = await listen('a');
      const b = await listen('b');
      const id = newId();
      a.publishAwareness(id, new Uint8Array([1, 2, 3]));
      await waitFor(() => got.length > 0, { message: 'awareness' });
      b.publishAwareness(id, new Uint8Array(20_000));
      a.publishAwareness(id, new Uint8Array([4]));
      await waitFor(() => got.length >= 2, { message: 'second awareness' });
      expect(got.map((g) => [g.who, g.id, [...g.update]])).toEqual([
        ['b', id, [1, 2, 3]],
        ['b', id, [4]],
      ]);
      await a.close();
      await b.close();
      await cleanup();
    });

    it('compacts into a snapshot that holds the same state and removes the update rows', async () => {
      const { store, cleanup } = await makeStore();
      const id = newId();
      const { doc, updates } = editsOf(id, 20);
      for (const u of updates) await store.append([{ id, update: u }]);
      const before = await store.loadSince(id, 0);
      const r = await store.compact(id, mergeToState);
      expect(r.removed).toBe(updates.length);
      const after = await store.loadSince(id, 0);
      expect(after.updates).toHaveLength(0);
      expect(after.snapshot).not.toBeNull();
      expect(after.seq).toBe(before.seq);
      const rebuilt = rebuild(after);
      expect(Y.equalSnapshots(Y.snapshot(rebuilt), Y.snapshot(doc))).toBe(true);
      expect(readIncident(rebuilt)?.incident.timeline).toHaveLength(21);
      // Later appends come after the snapshot; a reader behind the snapshot gets it again.
      const extra = new Y.Doc();
      Y.applyUpdate(extra, Y.encodeStateAsUpdate(doc));
      let last: Uint8Array | null = null;
      extra.on('update', (u: Uint8Array) => (last = u));
      addTimelineEntry(extra, { kind: 'note', author: 'tester', text: 'after compaction' });
      await store.append([{ id, update: last as unknown as Uint8Array }]);
      const behind = await store.loadSince(id, 1);
      expect(behind.snapshot).not.toBeNull();
      expect(behind.updates).toHaveLength(1);
      const upToDate = await store.loadSince(id, after.seq);
      expect(upToDate.snapshot).toBeNull();
      expect(upToDate.updates).toHaveLength(1);
      await cleanup();
    });

    it('lists changed documents after a cursor, in seq order', async () => {
      const { store, cleanup } = await makeStore();
      const base = (await store.changes(0, 100_000)).at(-1)?.seq ?? 0;
      const ids = [newId(), newId(), newId()];
      for (const id of ids) await store.append([{ id, update: Y.encodeStateAsUpdate(editsOf(id, 0).doc) }]);
      const all = await store.changes(base, 10);
      expect(all.map((c) => c.id)).toEqual(ids);
      const firstSeq = all[0]?.seq ?? 0;
      const rest = await store.changes(firstSeq, 10);
      expect(rest.map((c) => c.id)).toEqual(ids.slice(1));
      expect(await store.changes(base, 1)).toHaveLength(1);
      // A changed document moves to the end of the feed.
      const first = ids[0] ?? '';
      await store.append([{ id: first, update: Y.encodeStateAsUpdate(editsOf(first, 1).doc) }]);
      expect((await store.changes(base, 10)).map((c) => c.id)).toEqual([...ids.slice(1), first]);
      const listed = await store.listIds(null, 100_000);
      expect(listed.filter((id) => ids.includes(id))).toEqual([...ids].sort());
      await cleanup();
    });
  });
}

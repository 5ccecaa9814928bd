/**
 * An in-memory DocumentStore with the Postgres store's semantics (global seq, snapshot +
 * updates, announcements to every subscriber). Share one between several document managers
 * to test multi-process relaying without a database.
 */
import { MAX_SHARED_AWARENESS_BYTES, type AppendResult, type DocumentStore, type StoredState, type StoreListener } from './document-store.ts';

interface MemDoc {
  snapshot: Uint8Array | null;
  snapshotSeq: number;
  lastSeq: number;
  updates: { seq: number; update: Uint8Array }[];
}

export interface MemoryDocumentStore extends DocumentStore {
  /** Stored update rows of a document (for assertions). */
  updateCount(id: string): number;
  /** Make the next `n` appends fail (to test retries). */
  failNextAppends(n: number): void;
}

export function createMemoryDocumentStore(): MemoryDocumentStore {
  const docs = new Map<string, MemDoc>();
  const subscribers = new Set<StoreListener>();
  let seq = 0;
  let failures = 0;
  const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

  return {
    async loadSince(id, afterSeq): Promise<StoredState> {
      const d = docs.get(id);
      if (!d) return { snapshot: null, updates: [], seq: afterSeq, exists: false };
      const from = Math.max(afterSeq, d.snapshotSeq);
      const rows = d.updates.filter((u) => u.seq > from);
      return {
        snapshot: d.snapshotSeq > afterSeq && d.snapshot ? copy(d.snapshot) : null,
        updates: rows.map((r) => copy(r.update)),
        seq: Math.max(from, rows.at(-1)?.seq ?? 0),
        exists: true,
      };
    },

    async append(items): Promise<AppendResult[]> {
      await Promise.resolve();
      if (failures > 0) {
        failures--;
        throw new Error('simulated store failure');
      }
      const results = items.map((item) => {
        let d = docs.get(item.id);
        if (!d) {
          d = { snapshot: null, snapshotSeq: 0, lastSeq: 0, updates: [] };
          docs.set(item.id, d);
        }
        const prevSeq = d.lastSeq;
        seq += 1;
        d.updates.push({ seq, update: copy(item.update) });
        d.lastSeq = seq;
        return { id: item.id, seq, prevSeq, pendingUpdates: d.updates.length };
      });
      // Like NOTIFY: delivered after "commit", asynchronously.
      setImmediate(() => {
        for (const r of results) for (const s of subscribers) s.onAppend({ id: r.id, seq: r.seq });
      });
      return results;
    },

    async compact(id, mergeState) {
      const d = docs.get(id);
      const last = d?.updates.at(-1);
      if (!d || !last) return { removed: 0, seq: d?.snapshotSeq ?? 0 };
      const parts = d.snapshot ? [d.snapshot, ...d.updates.map((u) => u.update)] : d.updates.map((u) => u.update);
      d.snapshot = mergeState(parts);
      d.snapshotSeq = last.seq;
      const removed = d.updates.length;
      d.updates = [];
      return { removed, seq: last.seq };
    },

    async changes(since, limit) {
      return [...docs.entries()]
        .filter(([, d]) => d.lastSeq > since)
        .sort((a, b) => a[1].lastSeq - b[1].lastSeq)
        .slice(0, limit)
        .map(([id, d]) => ({ id, seq: d.lastSeq }));
    },

    async listIds(afterId, limit) {
      return [...docs.keys()]
        .filter((id) => afterId === null || id > afterId)
        .sort()
        .slice(0, limit);
    },

    async subscribe(listener) {
      subscribers.add(listener);
      return {
        publishAwareness(id, update) {
          if (update.byteLength > MAX_SHARED_AWARENESS_BYTES) return;
          const copy = new Uint8Array(update);
          setImmediate(() => {
            for (const s of subscribers) if (s !== listener) s.onAwareness(id, copy);
          });
        },
        close: async () => {
          subscribers.delete(listener);
        },
      };
    },

    updateCount(id) {
      return docs.get(id)?.updates.length ?? 0;
    },

    failNextAppends(n) {
      failures = n;
    },
  };
}

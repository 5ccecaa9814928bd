/**
 * Folds a document's stored updates into its snapshot (in the store's own transaction), one
 * document at a time in the background: when a document passes the threshold of stored
 * updates, or when it is unloaded with a few updates left (so its next cold open reads one row).
 */
import * as Y from 'yjs';
import type { Logger } from '../logger.ts';
import type { DocumentStore } from './document-store.ts';

/** Build the state a set of stored parts (snapshot + updates) adds up to, garbage-collected. */
export function mergeToState(parts: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    for (const p of parts) Y.applyUpdate(doc, p);
  });
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

export interface Compactor {
  /** Queue a compaction if `storedUpdates` reached the threshold. */
  consider(id: string, storedUpdates: number): void;
  /** Queue a compaction. */
  request(id: string): void;
  /** Compact now (waits for the queue's current run first). */
  run(id: string): Promise<{ removed: number }>;
  /** Compactions waiting in the queue. */
  queued(): number;
  /** Finish the running compaction and drop the queue. */
  close(): Promise<void>;
}

export function createCompactor(opts: {
  store: DocumentStore;
  logger: Logger;
  mergeToState: (parts: Uint8Array[]) => Uint8Array;
  threshold: number;
}): Compactor {
  const { store, logger, mergeToState, threshold } = opts;
  const queue = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let draining = false;
  let closed = false;

  async function compactOne(id: string): Promise<{ removed: number }> {
    const started = performance.now();
    const r = await store.compact(id, mergeToState);
    if (r.removed > 0) logger.debug({ doc: id, removed: r.removed, ms: Math.round(performance.now() - started) }, 'document compacted');
    return { removed: r.removed };
  }

  function run(id: string): Promise<{ removed: number }> {
    const p = chain.then(() => compactOne(id));
    chain = p.catch(() => {});
    return p;
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.size > 0 && !closed) {
        const id = queue.values().next().value as string;
        queue.delete(id);
        await run(id).catch((e: unknown) => logger.error({ err: e, doc: id }, 'compaction failed'));
      }
    } finally {
      draining = false;
    }
  }

  function request(id: string): void {
    if (closed) return;
    queue.add(id);
    void drain();
  }

  return {
    consider(id, storedUpdates) {
      if (storedUpdates >= threshold) request(id);
    },
    request,
    run,
    queued: () => queue.size,
    async close() {
      closed = true;
      queue.clear();
      await chain;
    },
  };
}

/**
 * Appends accepted updates to the store in small batches: everything enqueued within `delayMs`
 * goes in one transaction, one merged row per document. Flushes run one at a time; a failed
 * flush keeps its updates queued and retries with backoff, so nothing accepted is dropped while
 * the database is away.
 */
import type { Logger } from '../logger.ts';
import type { AppendItem, AppendResult, DocumentStore } from './document-store.ts';

export interface UpdateWriter {
  enqueue(id: string, update: Uint8Array): void;
  /** Store everything enqueued so far. Rejects if the store fails (the updates stay queued). */
  flush(): Promise<void>;
  /** Store the document's queued or in-flight updates (resolves at once when there are none). */
  flushDoc(id: string): Promise<void>;
  /** Number of documents with updates not yet stored. */
  pendingDocs(): number;
  /** Final flush (a few attempts), then stop the timers. */
  close(): Promise<void>;
}

export interface UpdateWriterOptions {
  store: DocumentStore;
  logger: Logger;
  /** Merge several updates of one document into one (Y.mergeUpdates). */
  mergeUpdates: (updates: Uint8Array[]) => Uint8Array;
  onAppended: (results: AppendResult[]) => void;
  delayMs?: number;
  /** Documents per transaction. */
  maxBatchDocs?: number;
}

export function createUpdateWriter(opts: UpdateWriterOptions): UpdateWriter {
  const { store, logger, mergeUpdates, onAppended } = opts;
  const delayMs = opts.delayMs ?? 5;
  const maxBatchDocs = opts.maxBatchDocs ?? 500;
  let queue = new Map<string, Uint8Array[]>();
  const inflight = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let retryDelay = 0;

  function schedule(ms: number): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      flush().catch(() => {
        // logged in appendBatch; the retry is already scheduled
      });
    }, ms);
  }

  async function appendBatch(): Promise<void> {
    while (queue.size > 0) {
      const batch = new Map<string, Uint8Array[]>();
      for (const [id, updates] of queue) {
        if (batch.size >= maxBatchDocs) break;
        batch.set(id, updates);
      }
      for (const id of batch.keys()) queue.delete(id);
      const items: AppendItem[] = [];
      for (const [id, updates] of batch) {
        inflight.add(id);
        items.push({ id, update: updates.length === 1 && updates[0] ? updates[0] : mergeUpdates(updates) });
      }
      let results: AppendResult[];
      try {
        results = await store.append(items);
      } catch (e) {
        // Put the batch back in front of anything enqueued meanwhile, and retry later.
        const rest = queue;
        queue = new Map();
        for (const item of items) queue.set(item.id, [item.update]);
        for (const [id, updates] of rest) queue.set(id, [...(queue.get(id) ?? []), ...updates]);
        retryDelay = Math.min(retryDelay ? retryDelay * 2 : 100, 5_000);
        logger.error({ err: e, docs: items.length, retryInMs: retryDelay }, 'storing updates failed; will retry');
        schedule(retryDelay);
        throw e;
      } finally {
        for (const item of items) inflight.delete(item.id);
      }
      retryDelay = 0;
      onAppended(results);
    }
  }

  function flush(): Promise<void> {
    if (timer && retryDelay === 0) {
      clearTimeout(timer);
      timer = null;
    }
    const run = chain.then(appendBatch);
    chain = run.catch(() => {});
    return run;
  }

  return {
    enqueue(id, update) {
      const list = queue.get(id);
      if (list) list.push(update);
      else queue.set(id, [update]);
      if (retryDelay === 0) schedule(delayMs);
    },
    flush,
    flushDoc(id) {
      return queue.has(id) || inflight.has(id) ? flush() : Promise.resolve();
    },
    pendingDocs() {
      return new Set([...queue.keys(), ...inflight]).size;
    },
    async close() {
      for (let attempt = 1; ; attempt++) {
        try {
          await flush();
          break;
        } catch (e) {
          if (attempt >= 5) {
            logger.error({ err: e, docs: queue.size }, 'giving up storing updates at shutdown');
            break;
          }
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

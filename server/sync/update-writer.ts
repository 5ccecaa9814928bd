/**
 * Appends accepted updates to the store in small batches: everything enqueued within `delayMs`
 * goes in one transaction, one merged row per document. Flushes run one at a time; a failed
 * flush keeps its updates queued and retries with backoff, so nothing accepted is dropped while
 * the database is away. After each stored batch, the audit sink gets one record per document
 * per actor (the actor's updates merged): audit cost scales with flushes, not keystrokes.
 */
import type { AuditActor } from '../audit/audit-types.ts';
import type { Logger } from '../logger.ts';
import type { AppendItem, AppendResult, DocumentStore } from './document-store.ts';

/** One actor's stored changes to one document in one flush. */
export interface DocAuditRecord {
  docId: string;
  actor: AuditActor;
  /** The actor's updates of this flush, merged. */
  update: Uint8Array;
}

interface Pending {
  /** When its oldest update was enqueued (ms epoch), and its bytes: the backlog's measure. */
  since: number;
  bytes: number;
  /** The document's enqueue count its last update carries (flushDoc waits for a count to be stored). */
  upto: number;
  updates: Uint8Array[];
  /** The same updates grouped by actor (key: kind:id). */
  byActor: Map<string, { actor: AuditActor; updates: Uint8Array[] }>;
}

const actorKey = (a: AuditActor): string => `${a.kind}:${a.id ?? ''}:${a.name}`;

export interface UpdateWriter {
  enqueue(id: string, update: Uint8Array, actor: AuditActor): void;
  /** Store everything enqueued so far. Rejects if the store fails (the updates stay queued). */
  flush(): Promise<void>;
  /**
   * Resolve once the document's updates enqueued before this call are stored (at once when none
   * waits); reject if storing them fails (they stay queued and are retried).
   */
  flushDoc(id: string): Promise<void>;
  /** Number of documents with updates not yet stored. */
  pendingDocs(): number;
  /** Sizes of the per-document bookkeeping (all 0 once everything is stored and nobody waits). */
  stats(): { queued: number; inflight: number; counters: number; waiting: number };
  /** How long the oldest accepted update has waited to be stored, and the bytes waiting. */
  backlog(): { oldestMs: number; bytes: number };
  /** Final flush (a few attempts), then stop the timers. */
  close(): Promise<void>;
}

export interface UpdateWriterOptions {
  store: DocumentStore;
  logger: Logger;
  /** Merge several updates of one document into one (Y.mergeUpdates). */
  mergeUpdates: (updates: Uint8Array[]) => Uint8Array;
  onAppended: (results: AppendResult[]) => void;
  /** Record who changed what, after the updates are stored (a failure is logged and retried). */
  audit?: (records: DocAuditRecord[]) => Promise<void>;
  delayMs?: number;
  /** Documents per transaction. */
  maxBatchDocs?: number;
}

export function createUpdateWriter(opts: UpdateWriterOptions): UpdateWriter {
  const { store, logger, mergeUpdates, onAppended } = opts;
  const delayMs = opts.delayMs ?? 5;
  const maxBatchDocs = opts.maxBatchDocs ?? 500;
  let queue = new Map<string, Pending>();
  let unaudited: DocAuditRecord[] = [];
  const inflight = new Map<string, { since: number; bytes: number }>();
  // Per document: updates enqueued so far, how many of them are stored, who waits for which count.
  const enqueued = new Map<string, number>();
  const storedUpTo = new Map<string, number>();
  const waiters = new Map<string, { target: number; resolve: () => void; reject: (e: unknown) => void }[]>();

  function settle(id: string, error?: unknown): void {
    const list = waiters.get(id);
    const done = storedUpTo.get(id) ?? 0;
    if (list) {
      const rest = list.filter((w) => {
        if (error !== undefined) w.reject(error);
        else if (w.target <= done) w.resolve();
        else return true;
        return false;
      });
      if (rest.length) waiters.set(id, rest);
      else waiters.delete(id);
    }
    // Everything of this document stored and nobody waiting: forget its counters (whether or not
    // anyone waited: they would otherwise stay for every document this process ever wrote).
    if (!waiters.has(id) && !queue.has(id) && !inflight.has(id) && done === enqueued.get(id)) {
      enqueued.delete(id);
      storedUpTo.delete(id);
    }
  }
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
      const batch = new Map<string, Pending>();
      for (const [id, pending] of queue) {
        if (batch.size >= maxBatchDocs) break;
        batch.set(id, pending);
      }
      for (const id of batch.keys()) queue.delete(id);
      const items: AppendItem[] = [];
      const uptoOf = new Map<string, number>();
      for (const [id, { updates, since, bytes, upto }] of batch) {
        inflight.set(id, { since, bytes });
        uptoOf.set(id, upto);
        items.push({ id, update: merge(updates) });
      }
      let results: AppendResult[];
      try {
        results = await store.append(items);
      } catch (e) {
        // Put the batch back in front of anything enqueued meanwhile, and retry later.
        const rest = queue;
        queue = new Map();
        for (const item of items) {
          const p = batch.get(item.id);
          queue.set(item.id, {
            since: p?.since ?? Date.now(),
            bytes: item.update.byteLength,
            upto: p?.upto ?? 0,
            updates: [item.update],
            byActor: p?.byActor ?? new Map(),
          });
        }
        for (const [id, p] of rest) {
          const q = queue.get(id);
          if (!q) {
            queue.set(id, p);
            continue;
          }
          q.updates.push(...p.updates);
          q.bytes += p.bytes;
          q.upto = Math.max(q.upto, p.upto);
          for (const [k, g] of p.byActor) {
            const h = q.byActor.get(k);
            if (h) h.updates.push(...g.updates);
            else q.byActor.set(k, g);
          }
        }
        // Those waiting for these documents hear of it now (the updates stay queued and retried).
        for (const item of items) settle(item.id, e);
        retryDelay = Math.min(retryDelay ? retryDelay * 2 : 100, 5_000);
        logger.error({ err: e, docs: items.length, retryInMs: retryDelay }, 'storing updates failed; will retry');
        schedule(retryDelay);
        throw e;
      } finally {
        for (const item of items) inflight.delete(item.id);
      }
      retryDelay = 0;
      for (const [id, upto] of uptoOf) {
        storedUpTo.set(id, Math.max(storedUpTo.get(id) ?? 0, upto));
        settle(id);
      }
      onAppended(results);
      if (opts.audit) {
        for (const [id, p] of batch) for (const g of p.byActor.values()) unaudited.push({ docId: id, actor: g.actor, update: merge(g.updates) });
        await auditPending();
      }
    }
  }

  function merge(updates: Uint8Array[]): Uint8Array {
    return updates.length === 1 && updates[0] ? updates[0] : mergeUpdates(updates);
  }

  /** The updates are stored: an audit failure must not store them again, so it is kept apart. */
  async function auditPending(): Promise<void> {
    if (!opts.audit || unaudited.length === 0) return;
    const records = unaudited;
    unaudited = [];
    try {
      await opts.audit(records);
    } catch (e) {
      unaudited = [...records, ...unaudited];
      logger.error({ err: e, records: records.length }, 'recording document updates in the audit log failed; will retry');
      if (!timer) schedule(1_000);
    }
  }

  function flush(): Promise<void> {
    if (timer && retryDelay === 0) {
      clearTimeout(timer);
      timer = null;
    }
    const run = chain.then(async () => {
      await auditPending();
      await appendBatch();
    });
    chain = run.catch(() => {});
    return run;
  }

  return {
    enqueue(id, update, actor) {
      let p = queue.get(id);
      if (!p) {
        p = { since: Date.now(), bytes: 0, upto: 0, updates: [], byActor: new Map() };
        queue.set(id, p);
      }
      const n = (enqueued.get(id) ?? 0) + 1;
      enqueued.set(id, n);
      p.upto = n;
      p.updates.push(update);
      p.bytes += update.byteLength;
      if (opts.audit) {
        const k = actorKey(actor);
        const g = p.byActor.get(k);
        if (g) g.updates.push(update);
        else p.byActor.set(k, { actor, updates: [update] });
      }
      if (retryDelay === 0) schedule(delayMs);
    },
    flush,
    flushDoc(id) {
      // Wait for the updates enqueued so far, not for the queue to drain: a document that
      // keeps receiving edits (a busy socket) must not hold a REST write's answer forever.
      const target = enqueued.get(id) ?? 0;
      if ((storedUpTo.get(id) ?? 0) >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.set(id, [...(waiters.get(id) ?? []), { target, resolve, reject }]);
        if (retryDelay === 0) flush().catch(() => {});
      });
    },
    backlog() {
      let oldest = Infinity;
      let bytes = 0;
      for (const p of [...queue.values(), ...inflight.values()]) {
        oldest = Math.min(oldest, p.since);
        bytes += p.bytes;
      }
      return { oldestMs: oldest === Infinity ? 0 : Date.now() - oldest, bytes };
    },
    pendingDocs() {
      return new Set([...queue.keys(), ...inflight.keys()]).size;
    },
    stats() {
      return { queued: queue.size, inflight: inflight.size, counters: Math.max(enqueued.size, storedUpTo.size), waiting: waiters.size };
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

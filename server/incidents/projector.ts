/**
 * The projector keeps the relational rows in step with the incident documents. It runs per
 * document once changes settle (debounced, with a maximum wait so a busy document is still
 * projected), reads the document with the shared accessors, and writes the rows in one
 * transaction (projection-store.ts). It assigns the human key the first time it sees an incident
 * and writes it into the document through the document manager, so every device sees it.
 * Idempotent: projecting the same state twice writes the same rows.
 */
import { readIncident, readMeta, SERVER_ORIGIN, setIncidentKey } from '../../shared/incident-doc.ts';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from '../sync/document-types.ts';
import { documentVersion } from '../sync/document-version.ts';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../shared/sla.ts';
import { maxAssetCriticality } from './asset-criticality.ts';
import { reprioritize } from './reprioritize.ts';
import { toProjection } from './projection.ts';
import { documentIds, markProjected, staleDocuments, writeProjection } from './projection-store.ts';

type ProjectOutcome = 'projected' | 'stale' | 'not_incident' | 'failed';

export interface Projector {
  /** Project a document now (after any projection of it already running). */
  project(id: string): Promise<ProjectOutcome>;
  /** Project a document once its changes settle. */
  schedule(id: string): void;
  /** Run every scheduled projection now and wait for all of them (and what they cause). */
  flush(): Promise<void>;
  /** Re-project every document; returns how many incidents were projected. */
  rebuildAll(): Promise<number>;
  /** Project the documents whose stored updates are newer than their rows (after a crash). */
  recoverStale(): Promise<number>;
  close(): Promise<void>;
}

export interface ProjectorOptions {
  sql: Sql;
  docs: DocumentManager;
  logger: Logger;
  debounceMs?: number;
  /** Project at least this often while a document keeps changing. */
  maxWaitMs?: number;
  /** Projections running at once (default 4). */
  maxConcurrent?: number;
  /** SLA policy for the projected deadlines and priority (default: shared/sla.ts). */
  slaPolicy?: SlaPolicy;
  /** Called after incident rows were written (the list cache drops its pages). */
  onWritten?: () => void;
  /**
   * Recompute open incidents' priority from their rows this often (it moves with time and the
   * asset inventory while documents stay unchanged); 0 = never. Default 60 s.
   */
  reprioritizeMs?: number;
}

/** Documents the projector opens itself (rebuilds) are dropped from memory soon after. */
const PROJECTOR_LINGER_MS = 1_000;

export function createProjector(opts: ProjectorOptions): Projector {
  const { sql, docs, logger } = opts;
  const debounceMs = opts.debounceMs ?? 150;
  const maxWaitMs = opts.maxWaitMs ?? 1_000;
  const maxConcurrent = opts.maxConcurrent ?? 4;
  const policy = opts.slaPolicy ?? DEFAULT_SLA_POLICY;
  const pending = new Map<string, { timer: NodeJS.Timeout; firstAt: number }>();
  const ready = new Set<string>();
  const running = new Map<string, Promise<ProjectOutcome>>();
  const again = new Set<string>();
  let closed = false;

  async function projectOnce(id: string): Promise<ProjectOutcome> {
    try {
      const read = await docs.withDoc(
        id,
        (doc, handle) => {
          const r = readIncident(doc);
          return { read: r, version: documentVersion(doc), seq: handle.seq };
        },
        { lingerMs: PROJECTOR_LINGER_MS },
      );
      if (!read.read) {
        await markProjected(sql, id, read.seq);
        return 'not_incident';
      }
      const { incident, problems } = read.read;
      if (problems.length > 0) {
        logger.warn({ doc: id, problems: problems.length, first: problems.slice(0, 5) }, 'projecting an incident document with invalid parts');
      }
      const criticality = await maxAssetCriticality(sql, incident.meta.assets);
      const projection = toProjection(id, incident, problems, read.version, { policy, now: new Date(), maxAssetCriticality: criticality });
      const result = await writeProjection(sql, id, projection, read.seq);
      if (result.written) opts.onWritten?.();
      if (incident.meta.key !== result.key) {
        await docs.withDoc(
          id,
          (doc) => {
            if (readMeta(doc).key !== result.key) setIncidentKey(doc, result.key, SERVER_ORIGIN);
          },
          { lingerMs: PROJECTOR_LINGER_MS },
        );
        logger.info({ doc: id, key: result.key }, 'incident key assigned');
      }
      return result.written ? 'projected' : 'stale';
    } catch (e) {
      logger.error({ err: e, doc: id }, 'projection failed');
      return 'failed';
    }
  }

  /** Start a projection now (or join the one running, and run again after it). */
  function run(id: string): Promise<ProjectOutcome> {
    const current = running.get(id);
    if (current) {
      again.add(id);
      return current;
    }
    const started = projectOnce(id).finally(() => {
      running.delete(id);
      if (again.delete(id) && !closed) schedule(id);
      pump();
    });
    running.set(id, started);
    return started;
  }

  /** Start queued projections, a few at a time (a batch sync may touch hundreds of documents). */
  function pump(): void {
    for (const id of ready) {
      if (running.size >= maxConcurrent) return;
      ready.delete(id);
      void run(id);
    }
  }

  function schedule(id: string): void {
    if (closed) return;
    const now = Date.now();
    const existing = pending.get(id);
    const firstAt = existing?.firstAt ?? now;
    if (existing) clearTimeout(existing.timer);
    const delay = Math.max(0, Math.min(debounceMs, firstAt + maxWaitMs - now));
    const timer = setTimeout(() => {
      pending.delete(id);
      ready.add(id);
      pump();
    }, delay);
    pending.set(id, { timer, firstAt });
  }

  const unsubscribe = docs.onChange((id) => schedule(id));

  const reprioritizeMs = opts.reprioritizeMs ?? 60_000;
  let reprioritizing: Promise<void> | null = null;
  const reprioritizeTimer =
    reprioritizeMs > 0
      ? setInterval(() => {
          if (reprioritizing || closed) return;
          reprioritizing = reprioritize(sql, policy, new Date())
            .then((n) => {
              if (n > 0) {
                opts.onWritten?.();
                logger.debug({ incidents: n }, 'priorities recomputed');
              }
            })
            .catch((e: unknown) => logger.error({ err: e }, 'recomputing priorities failed'))
            .finally(() => {
              reprioritizing = null;
            });
        }, reprioritizeMs)
      : null;
  reprioritizeTimer?.unref();

  async function flush(): Promise<void> {
    for (let round = 0; round < 20 && (pending.size > 0 || ready.size > 0 || running.size > 0); round++) {
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        ready.add(id);
      }
      pending.clear();
      pump();
      await Promise.all(running.values());
    }
  }

  async function project(id: string): Promise<ProjectOutcome> {
    const current = running.get(id);
    if (current) await current;
    const p = pending.get(id);
    if (p) clearTimeout(p.timer);
    pending.delete(id);
    ready.delete(id);
    return run(id);
  }

  async function projectAll(ids: string[]): Promise<number> {
    let projected = 0;
    for (const id of ids) if ((await project(id)) === 'projected') projected++;
    return projected;
  }

  return {
    project,
    schedule,
    flush,
    async rebuildAll() {
      let total = 0;
      let after: string | null = null;
      for (;;) {
        const ids = await documentIds(sql, after, 200);
        if (ids.length === 0) break;
        total += await projectAll(ids);
        after = ids.at(-1) ?? null;
      }
      logger.info({ incidents: total }, 'projection rebuilt');
      return total;
    },
    async recoverStale() {
      let total = 0;
      let after = 0;
      for (;;) {
        const rows = await staleDocuments(sql, after, 200);
        if (rows.length === 0) break;
        total += await projectAll(rows.map((r) => r.id));
        after = rows.at(-1)?.seq ?? after;
      }
      if (total > 0) logger.info({ incidents: total }, 'stale projections recovered');
      return total;
    },
    async close() {
      if (reprioritizeTimer) clearInterval(reprioritizeTimer);
      await reprioritizing;
      await flush();
      closed = true;
      unsubscribe();
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      ready.clear();
    },
  };
}

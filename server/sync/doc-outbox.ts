/**
 * The document outbox: changes a transaction decides to make to incident documents, recorded in
 * that transaction (`doc_outbox`, migration 011) and applied through the document manager after
 * it commits.
 *
 * Why: a transaction that holds a lock (alert ingestion's, the audit chain's) must never wait for
 * a pool connection, and loading a document takes one. Writing the documents after commit keeps
 * every lock holder to its own connection; recording the writes first keeps them durable: when
 * the process dies between the commit and the document write, the sweeper (every
 * `sweepMs`, and at start) applies what is left. The row is removed only once the document's
 * update is stored in Postgres.
 *
 * Handlers are idempotent (an entry with a known id is not added twice, values only rise), so a
 * row applied twice — by the sweeper racing a slow first attempt — changes nothing the second
 * time. A handler may answer 'later' (the document it extends does not exist yet, because the
 * row that creates it belongs to another process that has not applied it): the row stays for
 * the sweeper.
 */
import type * as Y from 'yjs';
import { SERVER_ORIGIN } from '../../shared/incident-doc.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from './document-types.ts';

/** Apply one recorded change to its document; 'later' keeps it for the sweeper. */
export type OutboxHandler = (doc: Y.Doc, payload: unknown) => 'done' | 'later';

export interface OutboxItem {
  docId: string;
  kind: string;
  payload: unknown;
}

export interface OutboxRecord extends OutboxItem {
  id: number;
}

export interface DocOutbox {
  /** Record changes inside the caller's transaction; apply the result after it commits. */
  record(tx: TransactionSql, items: readonly OutboxItem[]): Promise<OutboxRecord[]>;
  /**
   * Apply recorded changes to the documents now (in memory: connected devices see them at once);
   * each row is removed once its document's update is stored, in the background.
   */
  apply(records: readonly OutboxRecord[]): Promise<void>;
  /** Apply rows left behind (older than the grace period, or all with `all`); returns how many were applied. */
  sweep(opts?: { all?: boolean }): Promise<number>;
  /** Sweep now and then every `sweepMs`. */
  start(): void;
  /** Stop sweeping and wait for the removals in flight. */
  stop(): Promise<void>;
}

export interface DocOutboxOptions {
  sql: Sql;
  docs: DocumentManager;
  logger: Logger;
  handlers: Readonly<Record<string, OutboxHandler>>;
  /** How often the sweeper runs (default 10 s). */
  sweepMs?: number;
  /** Rows younger than this are left to the process that recorded them (default 10 s). */
  graceMs?: number;
  /** A row still refused ('later' or failing) after this many sweeps is dropped with an error (default 360: an hour). */
  maxAttempts?: number;
}

const DOC_CONCURRENCY = 16;

export function createDocOutbox(opts: DocOutboxOptions): DocOutbox {
  const { sql, docs, logger, handlers } = opts;
  const sweepMs = opts.sweepMs ?? 10_000;
  const graceMs = opts.graceMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 360;
  const removals = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;

  /** Apply each document's rows in one Yjs transaction; the ids whose change is in memory. */
  async function applyToDocs(records: readonly OutboxRecord[]): Promise<{ applied: OutboxRecord[]; kept: OutboxRecord[] }> {
    const byDoc = new Map<string, OutboxRecord[]>();
    for (const r of [...records].sort((a, b) => a.id - b.id)) byDoc.set(r.docId, [...(byDoc.get(r.docId) ?? []), r]);
    const applied: OutboxRecord[] = [];
    const kept: OutboxRecord[] = [];
    const groups = [...byDoc.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const group = groups[next++] as OutboxRecord[];
        const docId = (group[0] as OutboxRecord).docId;
        try {
          await docs.withDoc(docId, (doc) =>
            doc.transact(() => {
              for (const r of group) {
                const handler = handlers[r.kind];
                if (!handler) {
                  logger.error({ doc: docId, kind: r.kind, id: r.id }, 'document outbox: no handler for this kind');
                  kept.push(r);
                } else if (handler(doc, r.payload) === 'later') kept.push(r);
                else applied.push(r);
              }
            }, SERVER_ORIGIN),
          );
        } catch (e) {
          logger.error({ err: e, doc: docId, rows: group.length }, 'document outbox: applying failed; the sweeper retries');
          kept.push(...group);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOC_CONCURRENCY, groups.length) }, worker));
    return { applied, kept };
  }

  /** Remove rows once their documents' updates are stored (failures leave them to the sweeper). */
  function removeWhenStored(records: readonly OutboxRecord[]): void {
    if (records.length === 0) return;
    const p = (async () => {
      for (const id of new Set(records.map((r) => r.docId))) await docs.flushDoc(id);
      await sql`DELETE FROM doc_outbox WHERE id = ANY(${records.map((r) => r.id)}::int8[])`;
    })()
      .catch((e: unknown) => logger.warn({ err: e, rows: records.length }, 'document outbox: removing applied rows failed; the sweeper applies them again'))
      .finally(() => removals.delete(p));
    removals.add(p);
  }

  async function sweepOnce(all: boolean): Promise<number> {
    let total = 0;
    for (;;) {
      // Claimed in one statement (no transaction stays open while documents load).
      const rows = await sql<{ id: number; doc_id: string; kind: string; payload: unknown; attempts: number }[]>`
        UPDATE doc_outbox SET claimed_until = now() + interval '2 minutes', attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM doc_outbox
          WHERE (claimed_until IS NULL OR claimed_until < now())
            ${all ? sql`` : sql`AND created_at < now() - ${graceMs} * interval '1 millisecond'`}
          ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED)
        RETURNING id, doc_id, kind, payload, attempts`;
      if (rows.length === 0) return total;
      const records = rows.map((r) => ({ id: r.id, docId: r.doc_id, kind: r.kind, payload: r.payload }));
      const { applied, kept } = await applyToDocs(records);
      total += applied.length;
      for (const id of new Set(applied.map((r) => r.docId))) await docs.flushDoc(id);
      await sql`DELETE FROM doc_outbox WHERE id = ANY(${applied.map((r) => r.id)}::int8[])`;
      const attempts = new Map(rows.map((r) => [r.id, r.attempts]));
      const giveUp = kept.filter((r) => (attempts.get(r.id) ?? 0) >= maxAttempts);
      if (giveUp.length) {
        logger.error({ rows: giveUp.map((r) => ({ id: r.id, doc: r.docId, kind: r.kind })) }, 'document outbox: giving up on rows that never applied');
        await sql`DELETE FROM doc_outbox WHERE id = ANY(${giveUp.map((r) => r.id)}::int8[])`;
      }
      // Kept rows wait for their claim to run out; a batch of only kept rows ends this sweep.
      if (applied.length === 0) return total;
    }
  }

  function sweep(o: { all?: boolean } = {}): Promise<number> {
    if (sweeping) return sweeping;
    sweeping = sweepOnce(o.all ?? false).finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  return {
    async record(tx, items) {
      if (items.length === 0) return [];
      // Ids drawn first, so each item knows its row (RETURNING promises no order).
      const ids = await tx<{ id: number }[]>`
        SELECT nextval(pg_get_serial_sequence('doc_outbox', 'id'))::int8 AS id FROM generate_series(1, ${items.length})`;
      const rows = items.map((it, i) => ({ ...it, id: ids[i]?.id ?? 0 }));
      await tx`
        INSERT INTO doc_outbox (id, doc_id, kind, payload)
        SELECT id, doc_id, kind, payload::jsonb
        FROM unnest(${rows.map((r) => r.id)}::int8[], ${rows.map((r) => r.docId)}::uuid[], ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => JSON.stringify(r.payload))}::text[])
          AS t(id, doc_id, kind, payload)`;
      return rows;
    },
    async apply(records) {
      if (records.length === 0) return;
      const { applied } = await applyToDocs(records);
      removeWhenStored(applied);
    },
    sweep,
    start() {
      if (timer) return;
      const tick = (): void => {
        sweep().catch((e: unknown) => logger.warn({ err: e }, 'document outbox: sweep failed'));
      };
      tick();
      timer = setInterval(tick, sweepMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await sweeping?.catch(() => 0);
      await Promise.all([...removals]);
    },
  };
}

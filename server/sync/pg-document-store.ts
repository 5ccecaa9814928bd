/**
 * The Postgres document store: `documents` (snapshot + counters) and `doc_updates` (appended
 * updates), with NOTIFY doc_update '<id>:<seq>' so other processes holding a document relay it.
 *
 * Ordering: appends take one transaction-level advisory lock before drawing sequence numbers,
 * so seq order is commit order. A reader that sees seq N therefore sees every seq below N, which
 * is what makes the changes feed cursor and "read updates after my last seq" correct. Document
 * rows are locked (in id order) before that lock, so a running compaction delays only the
 * appends to its own document.
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { randomBytes } from 'node:crypto';
import {
  MAX_SHARED_AWARENESS_BYTES,
  type AppendItem,
  type AppendResult,
  type CompactResult,
  type DocumentChange,
  type DocumentStore,
  type StoredState,
  type StoreSubscription,
} from './document-store.ts';
import { LOCKS } from '../db/locks.ts';

const NOTIFY_CHANNEL = 'doc_update';
/** '<doc id>:<subscriber id>:<base64 awareness update>'. */
const AWARENESS_CHANNEL = 'doc_awareness';
/** NOTIFY payloads are limited to 8000 bytes. */
const MAX_NOTIFY_PAYLOAD = 7_900;

const NOTIFY_RE = /^([0-9a-f-]{36}):(\d+)$/;
const AWARENESS_RE = /^([0-9a-f-]{36}):([0-9a-f]{16}):([A-Za-z0-9+/]*={0,2})$/;

const bytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function createPgDocumentStore(sql: Sql, logger?: Logger): DocumentStore {
  return {
    async loadSince(id, afterSeq) {
      return sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx): Promise<StoredState> => {
        const [doc] = await tx<{ snapshot: Buffer | null; snapshot_seq: number; last_seq: number }[]>`
          SELECT CASE WHEN snapshot_seq > ${afterSeq} THEN snapshot END AS snapshot, snapshot_seq, last_seq
          FROM documents WHERE id = ${id}`;
        if (!doc) return { snapshot: null, updates: [], seq: afterSeq, exists: false };
        const from = Math.max(afterSeq, doc.snapshot_seq);
        const rows = await tx<{ seq: number; update: Buffer }[]>`
          SELECT seq, update FROM doc_updates WHERE doc_id = ${id} AND seq > ${from} ORDER BY seq`;
        const last = rows.at(-1);
        return {
          snapshot: doc.snapshot,
          updates: rows.map((r) => r.update),
          seq: Math.max(from, last ? last.seq : 0),
          exists: true,
        };
      });
    },

    async append(unsorted: AppendItem[]): Promise<AppendResult[]> {
      if (unsorted.length === 0) return [];
      // Id order everywhere, so two concurrent appends never wait on each other in a cycle.
      const items = [...unsorted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const ids = items.map((i) => i.id);
      return sql.begin(async (tx) => {
        await tx`INSERT INTO documents (id) SELECT unnest(${tx.array(ids)}::uuid[]) ON CONFLICT (id) DO NOTHING`;
        const locked = await tx<{ id: string; last_seq: number }[]>`
          SELECT id::text, last_seq FROM documents WHERE id = ANY(${tx.array(ids)}::uuid[]) ORDER BY id FOR UPDATE`;
        const prev = new Map(locked.map((r) => [r.id, r.last_seq]));
        await tx`SELECT pg_advisory_xact_lock(${LOCKS.syncAppend})`;
        const rows = items.map((i) => ({ doc_id: i.id, update: bytes(i.update) }));
        const inserted = await tx<{ seq: number; doc_id: string }[]>`
          INSERT INTO doc_updates ${tx(rows)} RETURNING seq, doc_id::text`;
        const seqs = inserted.map((r) => r.seq);
        const docIds = inserted.map((r) => r.doc_id);
        const counts = await tx<{ id: string; update_count: number }[]>`
          UPDATE documents d SET last_seq = v.seq, update_count = d.update_count + 1, updated_at = now()
          FROM unnest(${tx.array(docIds)}::uuid[], ${tx.array(seqs)}::bigint[]) AS v(id, seq)
          WHERE d.id = v.id
          RETURNING d.id::text, d.update_count`;
        await tx`SELECT pg_notify(${NOTIFY_CHANNEL}, v.id::text || ':' || v.seq)
          FROM unnest(${tx.array(docIds)}::uuid[], ${tx.array(seqs)}::bigint[]) AS v(id, seq)`;
        const pending = new Map(counts.map((r) => [r.id, r.update_count]));
        return inserted.map((r) => ({
          id: r.doc_id,
          seq: r.seq,
          prevSeq: prev.get(r.doc_id) ?? 0,
          pendingUpdates: pending.get(r.doc_id) ?? 1,
        }));
      });
    },

    async compact(id, mergeState): Promise<CompactResult> {
      return sql.begin(async (tx) => {
        const [doc] = await tx<{ snapshot: Buffer | null; snapshot_seq: number }[]>`
          SELECT snapshot, snapshot_seq FROM documents WHERE id = ${id} FOR UPDATE`;
        if (!doc) return { removed: 0, seq: 0 };
        const rows = await tx<{ seq: number; update: Buffer }[]>`
          SELECT seq, update FROM doc_updates WHERE doc_id = ${id} AND seq > ${doc.snapshot_seq} ORDER BY seq`;
        const last = rows.at(-1);
        if (!last) return { removed: 0, seq: doc.snapshot_seq };
        const parts: Uint8Array[] = doc.snapshot ? [doc.snapshot, ...rows.map((r) => r.update)] : rows.map((r) => r.update);
        const state = mergeState(parts);
        await tx`UPDATE documents SET snapshot = ${bytes(state)}, snapshot_seq = ${last.seq}, update_count = 0 WHERE id = ${id}`;
        const deleted = await tx`DELETE FROM doc_updates WHERE doc_id = ${id} AND seq <= ${last.seq}`;
        return { removed: deleted.count, seq: last.seq };
      });
    },

    async changes(since, limit): Promise<DocumentChange[]> {
      const rows = await sql<{ id: string; seq: number }[]>`
        SELECT id::text, last_seq AS seq FROM documents WHERE last_seq > ${since} ORDER BY last_seq LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, seq: r.seq }));
    },

    async listIds(afterId, limit): Promise<string[]> {
      const rows = afterId
        ? await sql<{ id: string }[]>`SELECT id::text FROM documents WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`
        : await sql<{ id: string }[]>`SELECT id::text FROM documents ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => r.id);
    },

    async subscribe(listener): Promise<StoreSubscription> {
      const self = randomBytes(8).toString('hex');
      let first = true;
      const updates = await sql.listen(
        NOTIFY_CHANNEL,
        (payload) => {
          const m = NOTIFY_RE.exec(payload);
          if (!m || !m[1] || !m[2]) {
            logger?.warn({ payload: payload.slice(0, 100) }, 'ignoring a malformed doc_update notification');
            return;
          }
          listener.onAppend({ id: m[1], seq: Number(m[2]) });
        },
        () => {
          // Called on every (re)connection of the listening connection; after the first, some
          // notifications may have been missed.
          if (first) first = false;
          else listener.onResync();
        },
      );
      const presence = await sql.listen(AWARENESS_CHANNEL, (payload) => {
        const m = AWARENESS_RE.exec(payload);
        if (!m || !m[1] || !m[3] || m[2] === self) return;
        const b = Buffer.from(m[3], 'base64');
        listener.onAwareness(m[1], new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      });
      return {
        publishAwareness(id, update) {
          if (update.byteLength > MAX_SHARED_AWARENESS_BYTES) return;
          const payload = `${id}:${self}:${Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString('base64')}`;
          if (payload.length > MAX_NOTIFY_PAYLOAD) return;
          sql.notify(AWARENESS_CHANNEL, payload).catch((e: unknown) => logger?.debug({ err: e }, 'publishing awareness failed'));
        },
        async close() {
          await updates.unlisten();
          await presence.unlisten();
        },
      };
    },
  };
}

/**
 * The audit log: append-only and hash-chained. Each entry's hash is SHA-256 (hex) of the
 * previous entry's hash followed by the canonical JSON of its other fields; appends take a
 * transaction-level advisory lock so the chain stays linear across processes. Postgres
 * triggers refuse UPDATE, DELETE and TRUNCATE (migration 002). `verify` recomputes the chain
 * and names the first entry that does not match.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../../shared/auth-api.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import type { AuditEvent } from './audit-types.ts';
import { LOCKS } from '../db/locks.ts';

export const GENESIS_HASH = '0'.repeat(64);
const VERIFY_CHUNK = 2_000;

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted, so the same value always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

type Unhashed = Omit<AuditEntry, 'hash'>;

function entryHash(e: Unhashed): string {
  const { prev_hash, ...rest } = e;
  return sha256Hex(prev_hash + canonicalJson(rest));
}

interface AuditRow {
  seq: number;
  at: Date;
  actor_kind: AuditEntry['actor_kind'];
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string | null;
  incident_id: string | null;
  digest: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: AuditRow): AuditEntry => ({ ...r, at: r.at.toISOString() });

interface AuditQuery {
  incident_id?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  before?: number;
  limit: number;
}

type VerifyResult = { ok: true; checked: number; head: string | null } | { ok: false; checked: number; first_broken: { seq: number; reason: string } };

export interface AuditLog {
  /** Append events in order, in one transaction (or inside the caller's). */
  append(events: readonly AuditEvent[], tx?: TransactionSql): Promise<AuditEntry[]>;
  list(q: AuditQuery): Promise<{ items: AuditEntry[]; next_before: number | null }>;
  verify(): Promise<VerifyResult>;
}

export function createAuditLog(sql: Sql): AuditLog {
  async function appendIn(tx: TransactionSql, events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.audit})`;
    const [last] = await tx<{ hash: string }[]>`SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`;
    let prev = last?.hash ?? GENESIS_HASH;
    const seqs = await tx<{ seq: number }[]>`
      SELECT nextval(pg_get_serial_sequence('audit_log', 'seq'))::int8 AS seq FROM generate_series(1, ${events.length})`;
    const at = new Date().toISOString();
    const out: AuditEntry[] = [];
    for (const [i, ev] of events.entries()) {
      const base: Unhashed = {
        seq: seqs[i]?.seq ?? 0,
        at,
        actor_kind: ev.actor.kind,
        actor_id: ev.actor.id,
        actor_name: ev.actor.name,
        action: ev.action,
        target_type: ev.targetType,
        target_id: ev.targetId ?? null,
        incident_id: ev.incidentId ?? null,
        digest: ev.digest ?? sha256Hex(canonicalJson(ev.details ?? null)),
        prev_hash: prev,
      };
      const entry: AuditEntry = { ...base, hash: entryHash(base) };
      prev = entry.hash;
      out.push(entry);
    }
    const rows = out.map((e) => ({ ...e, at: new Date(e.at) }));
    await tx`INSERT INTO audit_log ${tx(rows, 'seq', 'at', 'actor_kind', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'incident_id', 'digest', 'prev_hash', 'hash')}`;
    return out;
  }

  return {
    async append(events, tx) {
      if (events.length === 0) return [];
      if (tx) return appendIn(tx, events);
      return sql.begin((t) => appendIn(t, events));
    },

    async list(q) {
      const actor = q.actor ? sql`AND (actor_id = ${q.actor} OR actor_name = ${q.actor})` : sql``;
      const rows = await sql<AuditRow[]>`
        SELECT * FROM audit_log WHERE TRUE
          ${q.incident_id ? sql`AND incident_id = ${q.incident_id}` : sql``}
          ${actor}
          ${q.action ? sql`AND action = ${q.action}` : sql``}
          ${q.from ? sql`AND at >= ${q.from}` : sql``}
          ${q.to ? sql`AND at <= ${q.to}` : sql``}
          ${q.before ? sql`AND seq < ${q.before}` : sql``}
        ORDER BY seq DESC LIMIT ${q.limit + 1}`;
      const items = rows.slice(0, q.limit).map(toEntry);
      return { items, next_before: rows.length > q.limit ? (items.at(-1)?.seq ?? null) : null };
    },

    async verify() {
      let prev = GENESIS_HASH;
      let after = 0;
      let checked = 0;
      for (;;) {
        const rows = await sql<AuditRow[]>`SELECT * FROM audit_log WHERE seq > ${after} ORDER BY seq LIMIT ${VERIFY_CHUNK}`;
        for (const r of rows) {
          const e = toEntry(r);
          if (e.prev_hash !== prev)
            return { ok: false, checked, first_broken: { seq: e.seq, reason: 'broken link: prev_hash does not match the previous entry' } };
          const { hash, ...rest } = e;
          if (entryHash(rest) !== hash) return { ok: false, checked, first_broken: { seq: e.seq, reason: 'hash mismatch: the entry was altered' } };
          prev = hash;
          checked++;
          after = e.seq;
        }
        if (rows.length < VERIFY_CHUNK) break;
      }
      return { ok: true, checked, head: checked ? prev : null };
    },
  };
}

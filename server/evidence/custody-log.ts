/**
 * The chain of custody: one append-only, hash-chained log of every upload, metadata view,
 * download, export, hold, release and deletion of evidence, with who, when, from where and why.
 * Same method as the audit log (server/audit/audit-log.ts): each hash is SHA-256 of the previous
 * hash followed by the canonical JSON of the entry's other fields; appends take an advisory lock
 * so the chain stays linear; triggers (migration 008) refuse UPDATE, DELETE and TRUNCATE.
 */
import type { CustodyEntry } from '../../shared/evidence-api.ts';
import { canonicalJson, GENESIS_HASH, sha256Hex } from '../audit/audit-log.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { LOCKS } from '../db/locks.ts';

const VERIFY_CHUNK = 2_000;

export interface CustodyEvent {
  evidenceId: string | null;
  incidentId: string;
  action: CustodyEntry['action'];
  actor: { name: string; id: string | null };
  from: string | null;
  reason: string;
  details?: Record<string, unknown>;
}

interface CustodyRow {
  seq: number;
  evidence_id: string | null;
  incident_id: string;
  action: CustodyEntry['action'];
  actor: string;
  actor_id: string | null;
  at: Date;
  from_addr: string | null;
  reason: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

type Hashed = CustodyEntry & { actor_id: string | null };

const toEntry = (r: CustodyRow): Hashed => ({
  seq: r.seq,
  evidence_id: r.evidence_id,
  incident_id: r.incident_id,
  action: r.action,
  actor: r.actor,
  actor_id: r.actor_id,
  at: r.at.toISOString(),
  from: r.from_addr,
  reason: r.reason,
  details: r.details,
  prev_hash: r.prev_hash,
  hash: r.hash,
});

function hashOf(e: Omit<Hashed, 'hash'>): string {
  const { prev_hash, ...rest } = e;
  return sha256Hex(prev_hash + canonicalJson(rest));
}

type CustodyVerify = { ok: true; checked: number } | { ok: false; checked: number; first_broken: { seq: number; reason: string } };

export interface CustodyLog {
  append(ev: CustodyEvent, tx?: TransactionSql): Promise<CustodyEntry>;
  forEvidence(evidenceId: string): Promise<CustodyEntry[]>;
  forIncident(incidentId: string): Promise<CustodyEntry[]>;
  verify(): Promise<CustodyVerify>;
}

const publicEntry = ({ actor_id: _id, ...e }: Hashed): CustodyEntry => e;

export function createCustodyLog(sql: Sql): CustodyLog {
  async function appendIn(tx: TransactionSql, ev: CustodyEvent): Promise<CustodyEntry> {
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.custody})`;
    const [last] = await tx<{ hash: string }[]>`SELECT hash FROM evidence_custody ORDER BY seq DESC LIMIT 1`;
    const [next] = await tx<{ seq: number }[]>`SELECT nextval(pg_get_serial_sequence('evidence_custody', 'seq'))::int8 AS seq`;
    // Millisecond precision, as timestamptz round-trips it through toISOString.
    const at = new Date();
    const base: Omit<Hashed, 'hash'> = {
      seq: next?.seq ?? 0,
      evidence_id: ev.evidenceId,
      incident_id: ev.incidentId,
      action: ev.action,
      actor: ev.actor.name,
      actor_id: ev.actor.id,
      at: at.toISOString(),
      from: ev.from,
      reason: ev.reason,
      details: ev.details ?? {},
      prev_hash: last?.hash ?? GENESIS_HASH,
    };
    const entry: Hashed = { ...base, hash: hashOf(base) };
    await tx`
      INSERT INTO evidence_custody (seq, evidence_id, incident_id, action, actor, actor_id, at, from_addr, reason, details, prev_hash, hash)
      VALUES (${entry.seq}, ${entry.evidence_id}, ${entry.incident_id}, ${entry.action}, ${entry.actor}, ${entry.actor_id}, ${at},
              ${entry.from}, ${entry.reason}, ${tx.json(entry.details as never)}, ${entry.prev_hash}, ${entry.hash})`;
    return publicEntry(entry);
  }

  return {
    append: (ev, tx) => (tx ? appendIn(tx, ev) : sql.begin((t) => appendIn(t, ev))),

    async forEvidence(evidenceId) {
      const rows = await sql<CustodyRow[]>`SELECT * FROM evidence_custody WHERE evidence_id = ${evidenceId} ORDER BY seq`;
      return rows.map((r) => publicEntry(toEntry(r)));
    },

    async forIncident(incidentId) {
      const rows = await sql<CustodyRow[]>`SELECT * FROM evidence_custody WHERE incident_id = ${incidentId} ORDER BY seq`;
      return rows.map((r) => publicEntry(toEntry(r)));
    },

    async verify() {
      let prev = GENESIS_HASH;
      let after = 0;
      let checked = 0;
      for (;;) {
        const rows = await sql<CustodyRow[]>`SELECT * FROM evidence_custody WHERE seq > ${after} ORDER BY seq LIMIT ${VERIFY_CHUNK}`;
        for (const r of rows) {
          const e = toEntry(r);
          if (e.prev_hash !== prev)
            return { ok: false, checked, first_broken: { seq: e.seq, reason: 'broken link: prev_hash does not match the previous entry' } };
          const { hash, ...rest } = e;
          if (hashOf(rest) !== hash) return { ok: false, checked, first_broken: { seq: e.seq, reason: 'hash mismatch: the entry was altered' } };
          prev = hash;
          checked++;
          after = e.seq;
        }
        if (rows.length < VERIFY_CHUNK) break;
      }
      return { ok: true, checked };
    },
  };
}

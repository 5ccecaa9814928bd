/**
 * Writes a projection in one transaction: the incidents row (upsert), that incident's timeline,
 * task and action item rows (replaced), the human key, and documents.projected_seq.
 *
 * Keys: a per-incident advisory lock serialises projections of one incident across processes,
 * and the key lives on the incidents row, so an incident gets exactly one key however many
 * processes project it. A new key comes from incident_key_counters (row-locked per year).
 */
import type { Sql, TransactionSql } from '../db/connect.ts';
import { formatIncidentKey, INCIDENT_KEY_RE } from '../../shared/ids.ts';
import type { IncidentRow, Projection } from './projection.ts';
import { KEYED_LOCK_SEEDS } from '../db/locks.ts';

const INCIDENT_COLUMNS = [
  'title',
  'description',
  'status',
  'phase',
  'severity',
  'priority',
  'category',
  'tlp',
  'assigned_to',
  'reported_by',
  'created_by',
  'tags',
  'affected_assets',
  'observables',
  'custom_fields',
  'created_at',
  'updated_at',
  'occurred_at',
  'detected_at',
  'reported_at',
  'contained_at',
  'resolved_at',
  'closed_at',
  'open_tasks',
  'total_tasks',
  'timeline_count',
  'search_text',
  'version',
  'problems',
  'related_incidents',
  'template_id',
  'risk',
  'risk_score',
  'breach_regulation',
  'breach_aware_at',
  'breach_due',
  'response_due',
  'resolution_due',
  'priority_score',
  'priority_factors',
  'resolution',
  'closing_summary',
] as const satisfies readonly (keyof IncidentRow)[];

/** Rows per INSERT (postgres.js binds at most 65,535 parameters per statement). */
const CHUNK = 2_000;

export interface ProjectResult {
  /** False when a newer state had already been projected (nothing written). */
  written: boolean;
  /** The incident's key (to write into the document if it differs). */
  key: string;
}

/** The year a new key is numbered in: the incident's creation year when plausible, else now. */
export function keyYear(createdAt: Date, now = new Date()): number {
  const y = createdAt.getUTCFullYear();
  const current = now.getUTCFullYear();
  return y >= 2000 && y <= current + 1 ? y : current;
}

async function allocateKey(tx: TransactionSql, year: number): Promise<string> {
  for (;;) {
    const [row] = await tx<{ n: number }[]>`
      INSERT INTO incident_key_counters (year, n) VALUES (${year}, 1)
      ON CONFLICT (year) DO UPDATE SET n = incident_key_counters.n + 1
      RETURNING n`;
    const key = formatIncidentKey(year, row?.n ?? 1);
    const [taken] = await tx`SELECT 1 FROM incidents WHERE key = ${key}`;
    if (!taken) return key;
  }
}

/**
 * Keep the key the document already carries if this server plausibly issued it (its number is
 * within the year's counter) and no other incident holds it: rows rebuilt from documents keep
 * their keys, while a key a client made up is replaced.
 */
async function adoptKey(tx: TransactionSql, id: string, docKey: string | null): Promise<string | null> {
  if (!docKey || !INCIDENT_KEY_RE.test(docKey)) return null;
  const [, y, n] = docKey.split('-');
  const year = Number(y);
  const num = Number(n);
  if (!Number.isSafeInteger(num) || num < 1) return null;
  const [counter] = await tx<{ n: number }[]>`SELECT n FROM incident_key_counters WHERE year = ${year}`;
  if (!counter || num > counter.n) return null;
  const [taken] = await tx`SELECT 1 FROM incidents WHERE key = ${docKey} AND id <> ${id}`;
  return taken ? null : docKey;
}

const keyParts = (key: string): { year: number; n: number } => {
  const [, y, n] = key.split('-');
  return { year: Number(y), n: Number(n) };
};

export async function writeProjection(sql: Sql, id: string, p: Projection, seq: number): Promise<ProjectResult> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${id}, ${KEYED_LOCK_SEEDS.projection}))`;
    const [current] = await tx<{ key: string | null; version: number }[]>`SELECT key, version FROM incidents WHERE id = ${id}`;
    const key = current?.key ?? (await adoptKey(tx, id, p.docKey)) ?? (await allocateKey(tx, keyYear(p.incident.created_at)));
    if (current && current.version > p.incident.version) return { written: false, key };

    const json = (v: unknown) => tx.json(v as Parameters<typeof tx.json>[0]);
    const row = {
      ...p.incident,
      observables: json(p.incident.observables),
      custom_fields: json(p.incident.custom_fields),
      risk: p.incident.risk === null ? null : json(p.incident.risk),
      priority_factors: json(p.incident.priority_factors),
      key,
      key_year: keyParts(key).year,
      key_n: keyParts(key).n,
    };
    const updates = INCIDENT_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    await tx`
      INSERT INTO incidents ${tx(row as unknown as Record<string, unknown>)}
      ON CONFLICT (id) DO UPDATE SET ${tx.unsafe(updates)}, key = EXCLUDED.key, key_year = EXCLUDED.key_year,
        key_n = EXCLUDED.key_n, projected_at = now()`;

    await tx`DELETE FROM timeline_entries WHERE incident_id = ${id}`;
    for (let i = 0; i < p.timeline.length; i += CHUNK) {
      const rows = p.timeline.slice(i, i + CHUNK).map((e) => ({ ...e, data: e.data === null ? null : json(e.data) }));
      await tx`INSERT INTO timeline_entries ${tx(rows as unknown as Record<string, unknown>[])}`;
    }
    await tx`DELETE FROM tasks WHERE incident_id = ${id}`;
    for (let i = 0; i < p.tasks.length; i += CHUNK) {
      await tx`INSERT INTO tasks ${tx(p.tasks.slice(i, i + CHUNK) as unknown as Record<string, unknown>[])}`;
    }
    await tx`DELETE FROM action_items WHERE incident_id = ${id}`;
    for (let i = 0; i < p.actionItems.length; i += CHUNK) {
      await tx`INSERT INTO action_items ${tx(p.actionItems.slice(i, i + CHUNK) as unknown as Record<string, unknown>[])}`;
    }
    await tx`UPDATE documents SET projected_seq = GREATEST(projected_seq, ${seq}) WHERE id = ${id}`;
    return { written: true, key };
  });
}

/** Documents whose stored updates are newer than their projection (after a crash). */
export async function staleDocuments(sql: Sql, afterSeq: number, limit: number): Promise<{ id: string; seq: number }[]> {
  return sql<{ id: string; seq: number }[]>`
    SELECT id::text, last_seq AS seq FROM documents
    WHERE last_seq > projected_seq AND last_seq > ${afterSeq}
    ORDER BY last_seq LIMIT ${limit}`;
}

/** Record that a document was looked at even though it holds no incident (yet). */
export async function markProjected(sql: Sql, id: string, seq: number): Promise<void> {
  await sql`UPDATE documents SET projected_seq = GREATEST(projected_seq, ${seq}) WHERE id = ${id}`;
}

/** Every document id, in pages, for rebuilds. */
export async function documentIds(sql: Sql, afterId: string | null, limit: number): Promise<string[]> {
  const rows = afterId
    ? await sql<{ id: string }[]>`SELECT id::text FROM documents WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`
    : await sql<{ id: string }[]>`SELECT id::text FROM documents ORDER BY id LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

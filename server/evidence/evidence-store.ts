/**
 * The evidence rows in Postgres: items (with their retention date, from the incident's category),
 * blobs, open uploads, usage for the quotas, legal holds and the retention settings.
 */
import type { EvidenceItem, EvidenceUpload, Retention } from '../../shared/evidence-api.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';

type Db = Sql | TransactionSql;

interface ItemRow {
  id: string;
  incident_id: string;
  type: EvidenceItem['type'];
  file_name: string;
  description: string;
  tags: string[];
  collected_by: string;
  collected_at: Date;
  collected_where: string;
  source_host: string | null;
  uploaded_by: string;
  uploaded_at: Date;
  size: number;
  sha256: string;
  md5: string;
  sha1: string;
  linked_entries: string[];
  timeline_entry_id: string | null;
  retention_until: Date | null;
  deleted_at: Date | null;
}

export interface BlobRow {
  sha256: string;
  file_id: string;
  size: number;
  key_id: string;
  wrapped_key: Buffer;
}

export interface UploadRow {
  id: string;
  incident_id: string;
  upload_key: string;
  created_by: string;
  created_by_id: string | null;
  metadata: Record<string, unknown>;
  size: number;
  sha256: string;
  received: number;
  key_id: string;
  wrapped_key: Buffer;
  state: 'open' | 'complete';
  evidence_id: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

const toItem = (r: ItemRow): EvidenceItem => ({
  id: r.id,
  incident_id: r.incident_id,
  type: r.type,
  file_name: r.file_name,
  description: r.description,
  tags: r.tags,
  collected_by: r.collected_by,
  collected_at: r.collected_at.toISOString(),
  collected_where: r.collected_where,
  source_host: r.source_host,
  uploaded_by: r.uploaded_by,
  uploaded_at: r.uploaded_at.toISOString(),
  size: r.size,
  sha256: r.sha256,
  md5: r.md5,
  sha1: r.sha1,
  linked_entries: r.linked_entries,
  timeline_entry_id: r.timeline_entry_id,
  retention_until: iso(r.retention_until),
  deleted_at: iso(r.deleted_at),
});

export const toUpload = (r: UploadRow, offset: number): EvidenceUpload => ({
  id: r.id,
  incident_id: r.incident_id,
  size: r.size,
  offset,
  state: r.state,
  evidence_id: r.evidence_id,
});

function selectItems(db: Db) {
  return db`
    SELECT e.*, GREATEST(e.retained_until, e.uploaded_at + make_interval(days => COALESCE(r.days, d.days))) AS retention_until
      FROM evidence_items e
      LEFT JOIN incidents i ON i.id = e.incident_id
      LEFT JOIN evidence_retention r ON r.category = i.category
      CROSS JOIN (SELECT days FROM evidence_retention WHERE category = '*') d`;
}

export async function listItems(db: Db, incidentId: string): Promise<EvidenceItem[]> {
  const rows = await db<ItemRow[]>`${selectItems(db)} WHERE e.incident_id = ${incidentId} ORDER BY e.uploaded_at, e.id`;
  return rows.map(toItem);
}

export async function getItem(db: Db, incidentId: string, id: string): Promise<EvidenceItem | null> {
  const [row] = await db<ItemRow[]>`${selectItems(db)} WHERE e.incident_id = ${incidentId} AND e.id = ${id}`;
  return row ? toItem(row) : null;
}

export async function getBlob(db: Db, sha256: string): Promise<BlobRow | null> {
  const [row] = await db<BlobRow[]>`SELECT sha256, file_id::text, size, key_id, wrapped_key FROM evidence_blobs WHERE sha256 = ${sha256}`;
  return row ?? null;
}

export async function getUpload(db: Db, id: string): Promise<UploadRow | null> {
  const [row] = await db<UploadRow[]>`SELECT * FROM evidence_uploads WHERE id = ${id}`;
  return row ?? null;
}

export async function usage(db: Db, incidentId: string): Promise<{ incident: number; total: number }> {
  const [row] = await db<{ incident: number; total: number }[]>`
    SELECT
      (SELECT COALESCE(sum(size), 0) FROM evidence_items WHERE incident_id = ${incidentId} AND deleted_at IS NULL)
        + (SELECT COALESCE(sum(size), 0) FROM evidence_uploads WHERE incident_id = ${incidentId} AND state = 'open') AS incident,
      (SELECT COALESCE(sum(size), 0) FROM evidence_blobs)
        + (SELECT COALESCE(sum(size), 0) FROM evidence_uploads WHERE state = 'open') AS total`;
  return { incident: Number(row?.incident ?? 0), total: Number(row?.total ?? 0) };
}

export interface LegalHold {
  since: string;
  by: string;
  reason: string;
}

export async function legalHold(db: Db, incidentId: string): Promise<LegalHold | null> {
  const [row] = await db<{ since: Date; held_by: string; reason: string }[]>`SELECT * FROM evidence_legal_holds WHERE incident_id = ${incidentId}`;
  return row ? { since: row.since.toISOString(), by: row.held_by, reason: row.reason } : null;
}

export async function readRetention(db: Db): Promise<Retention> {
  const rows = await db<{ category: string; days: number }[]>`SELECT category, days FROM evidence_retention ORDER BY category`;
  const days: Record<string, number> = {};
  let defaultDays = 365;
  for (const r of rows) {
    if (r.category === '*') defaultDays = r.days;
    else days[r.category] = r.days;
  }
  return { days: days as Retention['days'], default_days: defaultDays };
}

export async function writeRetention(db: Db, r: Retention): Promise<void> {
  await db`DELETE FROM evidence_retention`;
  const rows = [{ category: '*', days: r.default_days }, ...Object.entries(r.days).map(([category, days]) => ({ category, days: days ?? r.default_days }))];
  await db`INSERT INTO evidence_retention ${db(rows, 'category', 'days')}`;
}

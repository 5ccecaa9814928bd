/**
 * The asset inventory in Postgres (`assets`, migration 003): hosts, accounts and services with a
 * criticality (1-5), a privileged flag, an owner and tags. Names are lower-case and unique per
 * kind; writes upsert on (kind, name). `lookupAssets` serves scoring (one query per batch).
 */
import type { Asset, AssetInput, AssetKind } from '../../shared/alerts-api.ts';
import { newId } from '../../shared/ids.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';

interface AssetRow {
  id: string;
  kind: AssetKind;
  name: string;
  criticality: number;
  privileged: boolean;
  owner: string | null;
  tags: string[];
  updated_at: Date;
}

const toAsset = (r: AssetRow): Asset => ({ ...r, updated_at: r.updated_at.toISOString() });

export async function listAssets(sql: Sql, q: { kind?: AssetKind; q?: string; offset: number; limit: number }): Promise<{ items: Asset[]; total: number }> {
  const kind = q.kind ?? null;
  const like = q.q ? `%${q.q.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m)}%` : null;
  const rows = await sql<(AssetRow & { total: number })[]>`
    SELECT *, count(*) OVER ()::int8 AS total FROM assets
     WHERE (${kind}::text IS NULL OR kind = ${kind}) AND (${like}::text IS NULL OR name LIKE ${like})
     ORDER BY kind, name OFFSET ${q.offset} LIMIT ${q.limit}`;
  return { items: rows.map(({ total: _t, ...r }) => toAsset(r)), total: rows[0]?.total ?? 0 };
}

export async function getAsset(sql: Sql | TransactionSql, id: string): Promise<Asset | null> {
  const [r] = await sql<AssetRow[]>`SELECT * FROM assets WHERE id = ${id}`;
  return r ? toAsset(r) : null;
}

/** Insert or replace (by kind and name) several assets in one statement. */
export async function upsertAssets(sql: Sql | TransactionSql, inputs: readonly AssetInput[]): Promise<Asset[]> {
  if (inputs.length === 0) return [];
  const rows = inputs.map((a) => ({
    id: newId(),
    kind: a.kind,
    name: a.name,
    criticality: a.criticality,
    privileged: a.privileged,
    owner: a.owner,
    tags: a.tags,
  }));
  const out = await sql<AssetRow[]>`
    INSERT INTO assets (id, kind, name, criticality, privileged, owner, tags, updated_at)
    SELECT x.id::uuid, x.kind, x.name, x.criticality::smallint, x.privileged::boolean, x.owner,
           ARRAY(SELECT jsonb_array_elements_text(x.tags)), now()
      FROM jsonb_to_recordset(${sql.json(rows as never)}::jsonb) AS x(id text, kind text, name text, criticality int, privileged boolean, owner text, tags jsonb)
    ON CONFLICT (kind, name) DO UPDATE SET criticality = EXCLUDED.criticality, privileged = EXCLUDED.privileged,
      owner = EXCLUDED.owner, tags = EXCLUDED.tags, updated_at = now()
    RETURNING *`;
  return out.map(toAsset);
}

export async function patchAsset(
  sql: Sql | TransactionSql,
  id: string,
  patch: { criticality?: number; privileged?: boolean; owner?: string | null; tags?: string[] },
): Promise<Asset | null> {
  const [r] = await sql<AssetRow[]>`
    UPDATE assets SET
      criticality = coalesce(${patch.criticality ?? null}::smallint, criticality),
      privileged = coalesce(${patch.privileged ?? null}::boolean, privileged),
      owner = CASE WHEN ${patch.owner !== undefined} THEN ${patch.owner ?? null}::text ELSE owner END,
      tags = coalesce(${patch.tags ?? null}::text[], tags),
      updated_at = now()
    WHERE id = ${id} RETURNING *`;
  return r ? toAsset(r) : null;
}

export async function deleteAsset(sql: Sql | TransactionSql, id: string): Promise<Asset | null> {
  const [r] = await sql<AssetRow[]>`DELETE FROM assets WHERE id = ${id} RETURNING *`;
  return r ? toAsset(r) : null;
}

/** Assets (hosts and accounts) with these lower-case names. */
export async function lookupAssets(sql: Sql | TransactionSql, names: readonly string[]): Promise<Asset[]> {
  if (names.length === 0) return [];
  const rows = await sql<AssetRow[]>`SELECT * FROM assets WHERE name = ANY(${names as string[]}::text[]) AND kind IN ('host', 'account')`;
  return rows.map(toAsset);
}

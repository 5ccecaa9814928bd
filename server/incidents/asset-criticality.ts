/**
 * The priority's asset input: the highest criticality among an incident's affected assets in the
 * asset inventory (`assets`, migration 003: lower-case names, criticality 1-5). Until that table
 * exists, no asset is inventoried and the answer is null.
 */
import type { Sql } from '../db/connect.ts';

export async function maxAssetCriticality(sql: Sql, assets: readonly string[]): Promise<number | null> {
  if (assets.length === 0) return null;
  const names = assets.map((a) => a.toLowerCase());
  try {
    const [row] = await sql<{ c: number | null }[]>`
      SELECT max(criticality)::int AS c FROM assets WHERE lower(name) = ANY(${names}::text[])`;
    return row?.c ?? null;
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return null; // no inventory table yet
    throw e;
  }
}

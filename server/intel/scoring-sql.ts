/**
 * The decayed score in SQL, for queries that filter or sort by it (lookups, blocklists, search).
 * The formula itself is the migration 009 function `intel_score(base, last_seen, lifetime_days,
 * speed, at)`, equal to shared/intel-api.ts decayedScore (scoring-sql.pg.test.ts checks both at
 * chosen ages). Models: the intel_decay_models row of a type, else DEFAULT_DECAY_MODELS.
 */
import { DEFAULT_DECAY_MODELS, INDICATOR_TYPES, type DecayModel } from '../../shared/intel-api.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';

type Q = Sql | TransactionSql;

/** A relation (type, lifetime_days, speed, threshold): every type, stored model or default. Use as `JOIN ${decayModelsSql(sql)} m ON m.type = i.type`. */
export function decayModelsSql(sql: Q) {
  const defaults = INDICATOR_TYPES.map(
    (t) => [t, DEFAULT_DECAY_MODELS[t].lifetime_days, DEFAULT_DECAY_MODELS[t].speed, DEFAULT_DECAY_MODELS[t].threshold] as const,
  );
  const values = defaults.map(([t, l, s, th]) => sql`(${t}::text, ${l}::float8, ${s}::float8, ${th}::float8)`);
  const list = values.slice(1).reduce((acc, v) => sql`${acc}, ${v}`, values[0] ?? sql``);
  return sql`(
    SELECT d.type, coalesce(m.lifetime_days, d.lifetime_days)::float8 AS lifetime_days, coalesce(m.speed, d.speed)::float8 AS speed,
      coalesce(m.threshold, d.threshold)::float8 AS threshold
    FROM (VALUES ${list}) AS d (type, lifetime_days, speed, threshold) LEFT JOIN intel_decay_models m ON m.type = d.type
  )`;
}

/** The score expression of indicator alias `i` with model alias `m` at `at` (default now()). */
export function scoreSql(sql: Q, at?: Date) {
  return sql`intel_score(i.base_confidence, i.last_seen, m.lifetime_days, m.speed, coalesce(${at ?? null}::timestamptz, now()))`;
}

/** The effective model of every type (admin GET). */
export async function readDecayModels(sql: Q): Promise<DecayModel[]> {
  const rows = await sql<
    { type: DecayModel['type']; lifetime_days: number; speed: number; threshold: number }[]
  >`SELECT * FROM ${decayModelsSql(sql)} AS x ORDER BY array_position(${INDICATOR_TYPES as unknown as string[]}::text[], x.type)`;
  return rows.map((r) => ({ type: r.type, lifetime_days: r.lifetime_days, speed: r.speed, threshold: r.threshold }));
}

export async function writeDecayModels(sql: Q, models: readonly DecayModel[], by: string): Promise<void> {
  for (const m of models) {
    await sql`
      INSERT INTO intel_decay_models (type, lifetime_days, speed, threshold, updated_at, updated_by)
      VALUES (${m.type}, ${m.lifetime_days}, ${m.speed}, ${m.threshold}, now(), ${by})
      ON CONFLICT (type) DO UPDATE SET lifetime_days = EXCLUDED.lifetime_days, speed = EXCLUDED.speed, threshold = EXCLUDED.threshold,
        updated_at = now(), updated_by = EXCLUDED.updated_by`;
  }
}

/**
 * Moves every stored secret (connector credentials, named secrets, inbound webhook secrets) to
 * the secret box's current key after a rotation. Each row is re-sealed in its own UPDATE that
 * applies only while the row still holds the value read, so a secret saved meanwhile is never
 * overwritten and several servers may run this at once. Values sealed with a key the box does
 * not hold are left untouched and named.
 */
import type { Sql } from '../db/connect.ts';
import { keyIdOf, type SecretBox } from './secret-box.ts';

/** The tables holding sealed values: the key column and the sealed column of each. */
const SEALED = [
  { table: 'connector_configs', key: 'name', column: 'secrets' },
  { table: 'named_secrets', key: 'name', column: 'sealed' },
  { table: 'playbook_webhook_secrets', key: 'playbook_id', column: 'sealed' },
] as const;

export interface ResealResult {
  /** How many values moved to the current key. */
  resealed: number;
  /** Key ids of values this box cannot open (they stay as they are). */
  unknownKeys: string[];
}

export async function resealSecrets(sql: Sql, box: SecretBox): Promise<ResealResult> {
  let resealed = 0;
  const unknown = new Set<string>();
  for (const { table, key, column } of SEALED) {
    const rows = await sql<{ id: string; sealed: Buffer | null }[]>`SELECT ${sql(key)} AS id, ${sql(column)} AS sealed FROM ${sql(table)}`;
    for (const row of rows) {
      if (!row.sealed) continue;
      const keyId = keyIdOf(row.sealed);
      if (keyId === box.keyId) continue;
      if (keyId === null || !box.knows(keyId)) {
        unknown.add(keyId ?? '(not a sealed value)');
        continue;
      }
      const next = box.seal(box.open(row.sealed));
      const r = await sql`UPDATE ${sql(table)} SET ${sql(column)} = ${next} WHERE ${sql(key)} = ${row.id} AND ${sql(column)} = ${row.sealed}`;
      resealed += r.count;
    }
  }
  return { resealed, unknownKeys: [...unknown] };
}

/**
 * Custom field definitions per incident category (table custom_field_defs, migration 004),
 * set by a lead and checked by the write API.
 */
import { customFieldDefsSchema, type CustomFieldDef } from '../../shared/templates.ts';
import type { Sql } from '../db/connect.ts';

export async function loadFieldDefs(sql: Sql): Promise<Map<string, CustomFieldDef[]>> {
  const rows = await sql<{ category: string; fields: unknown }[]>`SELECT category, fields FROM custom_field_defs`;
  const out = new Map<string, CustomFieldDef[]>();
  for (const r of rows) {
    const parsed = customFieldDefsSchema.safeParse(r.fields);
    if (parsed.success) out.set(r.category, parsed.data);
  }
  return out;
}

export async function fieldDefsOf(sql: Sql, category: string): Promise<CustomFieldDef[]> {
  const [row] = await sql<{ fields: unknown }[]>`SELECT fields FROM custom_field_defs WHERE category = ${category}`;
  const parsed = customFieldDefsSchema.safeParse(row?.fields ?? []);
  return parsed.success ? parsed.data : [];
}

export async function saveFieldDefs(sql: Sql, category: string, fields: CustomFieldDef[], by: string): Promise<void> {
  await sql`
    INSERT INTO custom_field_defs (category, fields, updated_by, updated_at)
    VALUES (${category}, ${sql.json(fields as unknown as Parameters<typeof sql.json>[0])}, ${by}, now())
    ON CONFLICT (category) DO UPDATE SET fields = EXCLUDED.fields, updated_by = EXCLUDED.updated_by, updated_at = now()`;
}

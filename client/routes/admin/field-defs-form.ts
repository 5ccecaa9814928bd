/**
 * The custom-field definitions of one incident category as a lead edits them: rows of text
 * inputs turned into definitions (options only for a select, an empty label left out) and
 * checked with the server's own schema, each problem named by its row and field. Pure, so it is
 * tested without a browser.
 */
import { CUSTOM_FIELD_TYPES, customFieldDefsSchema, type CustomFieldDef } from '../../../shared/templates.ts';
import { err, ok, type Result } from '../../../shared/result.ts';

export type FieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface FieldRow {
  name: string;
  label: string;
  type: FieldType;
  /** Comma-separated, for a select. */
  options: string;
  required: boolean;
}

export const emptyRow = (): FieldRow => ({ name: '', label: '', type: 'string', options: '', required: false });

export function rowsOf(defs: readonly { name: string; label?: string; type: FieldType; options?: readonly string[]; required?: boolean }[]): FieldRow[] {
  return defs.map((d) => ({ name: d.name, label: d.label ?? '', type: d.type, options: (d.options ?? []).join(', '), required: d.required ?? false }));
}

/** The definitions the rows describe, or each problem as "Field 2 (name): …". */
export function parseRows(rows: readonly FieldRow[]): Result<CustomFieldDef[], string[]> {
  const defs = rows.map((r) => {
    const options = r.options
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    return {
      name: r.name.trim(),
      ...(r.label.trim() ? { label: r.label.trim() } : {}),
      type: r.type,
      ...(r.type === 'select' ? { options } : {}),
      required: r.required,
    };
  });
  const parsed = customFieldDefsSchema.safeParse(defs);
  if (parsed.success) return ok(parsed.data);
  return err(
    parsed.error.issues.map((i) => {
      const [index, field] = i.path;
      return typeof index === 'number' ? `Field ${index + 1}${field ? ` (${String(field)})` : ''}: ${i.message}` : i.message;
    }),
  );
}

/**
 * CSV import of the asset inventory: header `kind,name,criticality,privileged,owner,tags`
 * (RFC 4180 quoting; tags separated by `;` or `|`). Each row is validated with the asset schema;
 * bad rows are reported by line and skipped.
 */
import { assetInputSchema, type AssetInput } from '../../shared/alerts-api.ts';

const CSV_COLUMNS = ['kind', 'name', 'criticality', 'privileged', 'owner', 'tags'] as const;
const MAX_IMPORT_ROWS = 50_000;

/** Split CSV text into rows of fields (quotes, doubled quotes, CRLF, newlines in quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const BOOL: Record<string, boolean> = { true: true, yes: true, '1': true, y: true, false: false, no: false, '0': false, n: false, '': false };

export function parseAssetCsv(text: string): { assets: AssetInput[]; errors: { line: number; message: string }[] } {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const errors: { line: number; message: string }[] = [];
  const assets = new Map<string, AssetInput>();
  const header = rows[0]?.map((h) => h.trim().toLowerCase()) ?? [];
  const missing = CSV_COLUMNS.filter((c) => c !== 'tags' && c !== 'owner' && !header.includes(c));
  if (missing.length)
    return {
      assets: [],
      errors: [{ line: 1, message: `header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})` }],
    };
  const col = (r: string[], name: string): string => r[header.indexOf(name)]?.trim() ?? '';
  for (let i = 1; i < rows.length && i <= MAX_IMPORT_ROWS; i++) {
    const r = rows[i] ?? [];
    const line = i + 1;
    if (r.every((f) => f.trim() === '')) continue;
    const privRaw = col(r, 'privileged').toLowerCase();
    if (!(privRaw in BOOL)) {
      errors.push({ line, message: `privileged: expected true/false, got "${privRaw}"` });
      continue;
    }
    const crit = col(r, 'criticality');
    const parsed = assetInputSchema.safeParse({
      kind: col(r, 'kind').toLowerCase(),
      name: col(r, 'name'),
      criticality: crit === '' ? undefined : Number(crit),
      privileged: BOOL[privRaw],
      owner: col(r, 'owner') || null,
      tags: col(r, 'tags')
        .split(/[;|]/)
        .map((t) => t.trim())
        .filter(Boolean),
    });
    if (!parsed.success) {
      errors.push({ line, message: parsed.error.issues.map((is) => `${is.path.join('.') || 'row'}: ${is.message}`).join('; ') });
      continue;
    }
    assets.set(`${parsed.data.kind}:${parsed.data.name}`, parsed.data);
  }
  if (rows.length - 1 > MAX_IMPORT_ROWS) errors.push({ line: MAX_IMPORT_ROWS + 2, message: `more than ${MAX_IMPORT_ROWS} rows: the rest was not imported` });
  return { assets: [...assets.values()], errors };
}

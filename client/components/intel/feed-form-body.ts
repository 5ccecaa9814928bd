/**
 * The feed form as data: the fields an admin edits (strings and flags, parser options per format)
 * read from a feed, and turned back into the body POST/PATCH /feeds expect, validated with the
 * shared schema so every refusal names its field before anything is sent.
 */
import { feedBody, type Feed, type FeedBody, type FeedFormat, type IndicatorType, type TLP_LEVELS } from '../../../shared/intel-api.ts';

const COLUMN_KEYS = ['value', 'type', 'first_seen', 'last_seen', 'tags', 'malware', 'confidence'] as const;
type ColumnKey = (typeof COLUMN_KEYS)[number];
export { COLUMN_KEYS };

export interface FeedForm {
  name: string;
  mode: 'pull' | 'push';
  url: string;
  format: FeedFormat;
  schedule_minutes: string;
  default_confidence: string;
  tlp: (typeof TLP_LEVELS)[number];
  /** Empty: all types. */
  types: IndicatorType[];
  enabled: boolean;
  delimiter: string;
  header: boolean;
  columns: Record<ColumnKey, string>;
  json_mode: 'preset' | 'expression';
  preset: 'otx' | 'cisa_kev';
  expression: string;
  collection: string;
  auth_secret: string;
}

export function formFromFeed(feed: Feed | null): FeedForm {
  const o = feed?.options ?? {};
  const columns = Object.fromEntries(COLUMN_KEYS.map((k) => [k, o.columns?.[k] === undefined ? '' : String(o.columns[k])])) as Record<ColumnKey, string>;
  return {
    name: feed?.name ?? '',
    mode: feed && feed.url === null ? 'push' : 'pull',
    url: feed?.url ?? '',
    format: feed?.format ?? 'plain',
    schedule_minutes: String(feed?.schedule_minutes ?? 60),
    default_confidence: String(feed?.default_confidence ?? 50),
    tlp: feed?.tlp ?? 'amber',
    types: feed?.types ?? [],
    enabled: feed?.enabled ?? true,
    delimiter: o.delimiter === '\t' ? '\\t' : (o.delimiter ?? ','),
    header: o.header ?? false,
    columns,
    json_mode: o.expression !== undefined ? 'expression' : 'preset',
    preset: o.preset ?? 'otx',
    expression: o.expression ?? '',
    collection: o.collection ?? '',
    auth_secret: o.auth_secret ?? '',
  };
}

/** A column is a 0-based index when all digits, else a header name. */
function column(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

function optionsOf(f: FeedForm): Record<string, unknown> {
  const secret = f.auth_secret.trim() ? { auth_secret: f.auth_secret.trim() } : {};
  switch (f.format) {
    case 'csv': {
      const entries = COLUMN_KEYS.map((k) => [k, column(f.columns[k])] as const).filter(([, v]) => v !== undefined);
      return { delimiter: f.delimiter === '\\t' ? '\t' : f.delimiter, header: f.header, ...(entries.length ? { columns: Object.fromEntries(entries) } : {}) };
    }
    case 'json':
      return f.json_mode === 'expression' ? { expression: f.expression } : { preset: f.preset };
    case 'taxii':
      return { ...(f.collection.trim() ? { collection: f.collection.trim() } : {}), ...secret };
    case 'misp':
      return secret;
    default:
      return {};
  }
}

/** What to tell the admin per field (zod's own words for the rest). */
const MESSAGES: Record<string, string> = {
  name: 'Give the feed a name (up to 200 characters).',
  url: 'An http:// or https:// URL (or choose “Pushed to Sentpilot”).',
  schedule_minutes: 'Between 5 and 10,080 minutes.',
  default_confidence: 'A whole number from 0 to 100.',
  delimiter: 'One character (\\t for a tab).',
  expression: 'At most 4,000 characters.',
  collection: 'At most 200 characters.',
  auth_secret: 'At most 64 characters.',
};

export type FormResult = { ok: true; body: FeedBody } | { ok: false; errors: Record<string, string> };

export function bodyFromForm(f: FeedForm): FormResult {
  const candidate = {
    name: f.name,
    url: f.mode === 'push' ? null : f.url.trim(),
    format: f.format,
    schedule_minutes: Number(f.schedule_minutes),
    default_confidence: Number(f.default_confidence),
    tlp: f.tlp,
    ...(f.types.length ? { types: f.types } : {}),
    enabled: f.enabled,
    options: optionsOf(f),
  };
  const parsed = feedBody.safeParse(candidate);
  if (parsed.success) return { ok: true, body: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String);
    // options.columns.value → the column field; options.delimiter → delimiter.
    const key = path[0] === 'options' ? (path[1] === 'columns' ? `column.${path[2] ?? 'value'}` : (path[1] ?? 'options')) : (path[0] ?? 'form');
    errors[key] ??= MESSAGES[key] ?? issue.message;
  }
  return { ok: false, errors };
}

/**
 * CSV feeds with a column mapping (shared/intel-api.ts feedOptionsSchema `columns`): columns by
 * 0-based index or header name. Headers may be the first line or, as in abuse.ch's exports, the
 * last `#` comment line before the data (`# "first_seen_utc","dst_ip",…`). Quoted fields (with
 * `""` escapes and line breaks), spaces after delimiters (ThreatFox) and a type column (a hint
 * checked against the detected type) are handled. Without a mapping, the first field of a row
 * that is an indicator is taken. Read line by line.
 */
import type { z } from 'zod';
import type { feedOptionsSchema } from '../../../shared/intel-api.ts';
import { makeItem, toConfidence, toIsoTime, toList } from './item.ts';
import { readLines } from './read-input.ts';
import { MAX_LINE_CHARS, skip, type ParseEvent, type ParserInput } from './types.ts';

type FeedOptions = z.infer<typeof feedOptionsSchema>;
type Columns = NonNullable<FeedOptions['columns']>;

/** Fields of one record, or null while a quoted field is still open (the record continues). */
export function splitCsv(text: string, delimiter: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || (text[i] === '\t' && delimiter !== '\t')) i++;
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) return null;
        field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      const next = text.indexOf(delimiter, i);
      i = next < 0 ? text.length : next;
    } else {
      const next = text.indexOf(delimiter, i);
      field = (next < 0 ? text.slice(i) : text.slice(i, next)).trim();
      i = next < 0 ? text.length : next;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i += delimiter.length;
  }
}

type Resolved = { [K in keyof Columns]-?: number | undefined };

function resolveColumns(columns: Columns, header: string[] | null): Resolved | string {
  const resolved: Partial<Resolved> = {};
  for (const [key, column] of Object.entries(columns) as [keyof Columns, number | string | undefined][]) {
    if (column === undefined || typeof column === 'number') {
      resolved[key] = column;
      continue;
    }
    const index = header?.findIndex((name) => name === column.trim().toLowerCase()) ?? -1;
    if (index < 0)
      return header ? `column "${column}" is not in the header (${header.join(', ').slice(0, 150)})` : `column "${column}" needs a header (options.header)`;
    resolved[key] = index;
  }
  return resolved as Resolved;
}

function headerNames(fields: string[]): string[] {
  return fields.map((f) => f.replace(/^#\s*/, '').trim().toLowerCase());
}

export async function* parseCsv(input: ParserInput, options: FeedOptions): AsyncGenerator<ParseEvent> {
  const delimiter = options.delimiter ?? ',';
  let header: string[] | null = null;
  let lastComment: string[] | null = null;
  let mapping: Resolved | null = null;
  let record = '';
  let recordLine = 0;
  for await (const line of readLines(input)) {
    if ('tooLong' in line) {
      yield skip(line.line, line.text, 'line too long');
      record = '';
      continue;
    }
    if (record === '') {
      if (line.text.trim() === '') continue;
      if (/^\s*#/.test(line.text)) {
        const fields = splitCsv(line.text.replace(/^\s*#\s*/, ''), delimiter);
        lastComment = fields && fields.length > 1 ? headerNames(fields) : null;
        continue;
      }
      recordLine = line.line;
    }
    record = record === '' ? line.text : `${record}\n${line.text}`;
    const fields = splitCsv(record, delimiter);
    if (!fields) {
      if (record.length > MAX_LINE_CHARS) {
        yield skip(recordLine, record, 'unterminated quoted field');
        record = '';
      }
      continue;
    }
    const text = record;
    record = '';
    if (options.header && !header) {
      if (lastComment && lastComment.length === fields.length) header = lastComment;
      else {
        header = headerNames(fields);
        continue;
      }
    }
    if (options.columns && !mapping) {
      const resolved = resolveColumns(options.columns, header);
      if (typeof resolved === 'string') {
        yield skip(null, '', resolved);
        return;
      }
      mapping = resolved;
    }
    yield mapping ? mapped(fields, mapping, recordLine, text) : firstIndicator(fields, recordLine, text);
  }
  if (record !== '') yield skip(recordLine, record, 'unterminated quoted field at the end of the feed (truncated?)');
}

function mapped(fields: string[], m: Resolved, line: number, text: string): ParseEvent {
  const at = (index: number | undefined) => (index === undefined ? undefined : fields[index]);
  const value = at(m.value);
  if (value === undefined) return skip(line, text, `no column ${m.value ?? 0} (the row has ${fields.length})`);
  const made = makeItem(
    value,
    {
      first_seen: toIsoTime(at(m.first_seen)),
      last_seen: toIsoTime(at(m.last_seen)),
      confidence: toConfidence(at(m.confidence)),
      tags: toList(at(m.tags)),
      malware: toList(at(m.malware)),
    },
    at(m.type),
  );
  return 'item' in made ? made : skip(line, text, made.reason);
}

function firstIndicator(fields: string[], line: number, text: string): ParseEvent {
  for (const field of fields) {
    const made = makeItem(field, {});
    if ('item' in made) return made;
  }
  return skip(line, text, 'no field is an IP, CIDR, domain, URL or hash');
}

/**
 * Plain lists: one IP, CIDR, domain, URL or hash per line. `#` and `;` start comments (whole
 * lines, or after a value like Spamhaus DROP's `1.10.16.0/20 ; SBL256894`); extra columns after
 * whitespace are ignored (ipsum's `ip<TAB>count`); hosts-file lines (`0.0.0.0 evil.example`)
 * give the host name.
 */
import { makeItem } from './item.ts';
import { readLineBatches, type Line } from './read-input.ts';
import { skip, type ParseEvent, type ParserInput } from './types.ts';

const SINK_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

export async function* parsePlain(input: ParserInput): AsyncGenerator<ParseEvent> {
  for await (const batch of readLineBatches(input)) {
    for (const line of batch) {
      const event = lineEvent(line);
      if (event) yield event;
    }
  }
}

function lineEvent(line: Line): ParseEvent | null {
  if ('tooLong' in line) return skip(line.line, line.text, 'line too long');
  let value = line.text;
  if (/[\s#;]/.test(value)) {
    const content = value.replace(/\s[#;].*$|^\s*[#;].*$/, '').trim();
    if (content === '') return null;
    const fields = content.split(/\s+/);
    value = fields.length > 1 && SINK_ADDRESSES.has(fields[0] ?? '') ? (fields[1] ?? '') : (fields[0] ?? '');
  } else if (value === '') return null;
  const made = makeItem(value, {});
  return 'item' in made ? made : skip(line.line, line.text, made.reason);
}

/**
 * Plain lists: one IP, CIDR, domain, URL or hash per line. `#` and `;` start comments (whole
 * lines, or after a value like Spamhaus DROP's `1.10.16.0/20 ; SBL256894`); extra columns after
 * whitespace are ignored (ipsum's `ip<TAB>count`); hosts-file lines (`0.0.0.0 evil.example`)
 * give the host name. A line starting with two addresses is a range, first and last address
 * (DShield's block.txt: `start<TAB>end<TAB>prefix<TAB>attacks…`, or `start - end`): it gives the
 * CIDR blocks covering it (a prefix column is checked against the range). A line of several
 * columns matching none of these shapes is skipped as "unrecognised line format".
 */
import { rangeToCidrs, isAddress } from './ip-range.ts';
import { makeItem } from './item.ts';
import { readLineBatches, type Line } from './read-input.ts';
import { skip, type ParseEvent, type ParserInput } from './types.ts';

const SINK_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

export async function* parsePlain(input: ParserInput): AsyncGenerator<ParseEvent> {
  for await (const batch of readLineBatches(input)) {
    for (const line of batch) yield* lineEvents(line);
  }
}

function lineEvents(line: Line): ParseEvent[] {
  if ('tooLong' in line) return [skip(line.line, line.text, 'line too long')];
  let value = line.text;
  if (/[\s#;]/.test(value)) {
    const content = value.replace(/\s[#;].*$|^\s*[#;].*$/, '').trim();
    if (content === '') return [];
    const fields = content.split(/\s+/);
    const [first = '', second = ''] = fields;
    if (fields.length > 1 && isAddress(first) && (isAddress(second) || (second === '-' && isAddress(fields[2] ?? '')))) {
      return rangeEvents(line, first, second === '-' ? (fields[2] ?? '') : second, second === '-' ? undefined : fields[2]);
    } else if (fields.length > 1 && SINK_ADDRESSES.has(first)) value = second;
    else if (/^start$/i.test(first) && /^end$/i.test(second))
      return []; // DShield's column header
    else {
      const made = makeItem(first, {});
      if ('item' in made || fields.length === 1) return ['item' in made ? made : skip(line.line, line.text, made.reason)];
      return [skip(line.line, line.text, `unrecognised line format (first column: ${made.reason})`)];
    }
  } else if (value === '') return [];
  const made = makeItem(value, {});
  return ['item' in made ? made : skip(line.line, line.text, made.reason)];
}

/** A first–last range line; `size` is DShield's prefix column, when there is one. */
function rangeEvents(line: Line, first: string, last: string, size: string | undefined): ParseEvent[] {
  const range = rangeToCidrs(first, last);
  if (!range.ok) return [skip(line.line, line.text, range.reason)];
  if (size !== undefined && /^\d{1,3}$/.test(size) && range.cidrs.length === 1 && !range.cidrs[0]?.endsWith(`/${Number(size)}`)) {
    return [skip(line.line, line.text, `the range is no /${Number(size)} block, as its netblock column says`)];
  }
  return range.cidrs.map((cidr) => {
    const made = makeItem(cidr, {});
    return 'item' in made ? made : skip(line.line, line.text, made.reason);
  });
}

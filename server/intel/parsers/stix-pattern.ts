/**
 * A parser for STIX 2.1 patterns (`[ipv4-addr:value = '198.51.100.1' OR domain-name:value =
 * 'evil.example']`) that extracts the indicator values they test. It checks the whole grammar
 * (observation expressions with AND / OR / FOLLOWEDBY and qualifiers, comparisons with
 * =, !=, <, >, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, EXISTS, NOT) and returns a reason for a
 * malformed pattern instead of throwing.
 *
 * Extracted: positive `=` / `IN` comparisons (and `ISSUBSET` on addresses: a range) on
 * ipv4-addr / ipv6-addr / domain-name / url `value`, file `hashes.MD5 / SHA-1 / SHA-256`, and
 * network-traffic `src_ref.value` / `dst_ref.value`. Each such value is an indicator on its own,
 * also when AND'ed with other tests (`[file:name = 'x' AND file:hashes.MD5 = '…']` yields the
 * hash): the value alone is what a lookup or a blocklist can use.
 */
import type { IndicatorType } from '../../../shared/intel-api.ts';

type PatternValue = { raw: string; types: IndicatorType[] };
export type PatternResult = { ok: true; values: PatternValue[] } | { ok: false; reason: string };

type Token = { kind: 'punct' | 'word' | 'string' | 'op'; text: string; prefix?: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readString = (): string => {
    let out = '';
    i++; // opening quote
    for (;;) {
      if (i >= source.length) throw new Error('unterminated string');
      const c = source[i] as string;
      if (c === '\\') {
        const next = source[i + 1];
        if (next !== "'" && next !== '\\') throw new Error(`bad escape \\${next ?? ''}`);
        out += next;
        i += 2;
      } else if (c === "'") {
        i++;
        return out;
      } else {
        out += c;
        i++;
      }
    }
  };
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) i++;
    else if ('[]():.,*'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (c === "'") tokens.push({ kind: 'string', text: readString() });
    else if (/[=!<>]/.test(c)) {
      const two = source.slice(i, i + 2);
      const op = two === '!=' || two === '<=' || two === '>=' ? two : c;
      if (op === '!') throw new Error("stray '!'");
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else if (/[A-Za-z0-9_-]/.test(c)) {
      const word = /^(?:-?\d+\.\d+|[A-Za-z0-9_-]+)/.exec(source.slice(i))?.[0] ?? c;
      i += word.length;
      if ((word === 't' || word === 'h' || word === 'b') && source[i] === "'") tokens.push({ kind: 'string', text: readString(), prefix: word });
      else tokens.push({ kind: 'word', text: word });
    } else throw new Error(`unexpected character '${c}'`);
  }
  return tokens;
}

const COMPARISON_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const WORD_OPS = new Set(['LIKE', 'MATCHES', 'IN', 'ISSUBSET', 'ISSUPERSET']);

/** The values a pattern tests for, or why it is malformed. */
export function parseStixPattern(source: string): PatternResult {
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (error) {
    return { ok: false, reason: `malformed pattern: ${(error as Error).message}` };
  }
  let pos = 0;
  const values: PatternValue[] = [];
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    throw new Error(`expected ${what} at token ${pos + 1}${peek() ? ` ('${peek()?.text.slice(0, 30)}')` : ' (end)'}`);
  };
  const isWord = (text: string) => peek()?.kind === 'word' && peek()?.text.toUpperCase() === text;
  const isPunct = (text: string) => peek()?.kind === 'punct' && peek()?.text === text;
  const expectPunct = (text: string) => (isPunct(text) ? pos++ : fail(`'${text}'`));
  const expectWord = (text: string) => (isWord(text) ? pos++ : fail(text));
  const string = (prefix?: string): string => {
    const t = peek();
    if (t?.kind !== 'string' || t.prefix !== prefix) return fail(prefix ? `${prefix}'…'` : 'a string');
    pos++;
    return t.text;
  };

  const objectPath = (): { object: string; path: string } => {
    const object = peek();
    if (object?.kind !== 'word' || !/^[a-z0-9-]+$/.test(object.text)) return fail('an object type');
    pos++;
    expectPunct(':');
    const parts: string[] = [];
    const component = () => {
      const t = peek();
      if (t?.kind !== 'word' && !(t?.kind === 'string' && !t.prefix)) return fail('a property name');
      pos++;
      parts.push(t.text.toLowerCase());
    };
    component();
    for (;;) {
      if (isPunct('.')) {
        pos++;
        component();
      } else if (isPunct('[') && (tokens[pos + 1]?.text === '*' || /^\d+$/.test(tokens[pos + 1]?.text ?? '')) && tokens[pos + 2]?.text === ']') pos += 3;
      else break;
    }
    return { object: object.text, path: parts.join('.') };
  };

  const literal = (): string | null => {
    const t = peek();
    if (t?.kind === 'string') {
      pos++;
      return t.prefix ? null : t.text;
    }
    if (t?.kind === 'word' && /^(?:-?\d+(?:\.\d+)?|true|false)$/i.test(t.text)) {
      pos++;
      return null;
    }
    return fail('a literal');
  };

  const propTest = () => {
    if (isPunct('(')) {
      pos++;
      comparisonOr();
      expectPunct(')');
      return;
    }
    if (isWord('EXISTS')) {
      pos++;
      objectPath();
      return;
    }
    const { object, path } = objectPath();
    const negated = isWord('NOT');
    if (negated) pos++;
    const t = peek();
    let op: string;
    if (t?.kind === 'op' && COMPARISON_OPS.has(t.text)) op = t.text;
    else if (t?.kind === 'word' && WORD_OPS.has(t.text.toUpperCase())) op = t.text.toUpperCase();
    else return fail('a comparison operator');
    pos++;
    const found: string[] = [];
    if (op === 'IN') {
      expectPunct('(');
      for (;;) {
        const v = literal();
        if (v !== null) found.push(v);
        if (!isPunct(',')) break;
        pos++;
      }
      expectPunct(')');
    } else {
      const v = literal();
      if (v !== null) found.push(v);
    }
    if (negated || !['=', 'IN', 'ISSUBSET'].includes(op)) return;
    const types = indicatorTypes(object, path, op);
    if (types) for (const raw of found) values.push({ raw, types });
  };

  const comparisonAnd = () => {
    propTest();
    while (isWord('AND')) {
      pos++;
      propTest();
    }
  };
  function comparisonOr(): void {
    comparisonAnd();
    while (isWord('OR')) {
      pos++;
      comparisonAnd();
    }
  }

  const qualifiers = () => {
    for (;;) {
      if (isWord('WITHIN')) {
        pos++;
        literal();
        expectWord('SECONDS');
      } else if (isWord('REPEATS')) {
        pos++;
        literal();
        expectWord('TIMES');
      } else if (isWord('START')) {
        pos++;
        string('t');
        expectWord('STOP');
        string('t');
      } else return;
    }
  };

  const observation = () => {
    if (isPunct('[')) {
      pos++;
      comparisonOr();
      expectPunct(']');
    } else if (isPunct('(')) {
      pos++;
      observations();
      expectPunct(')');
    } else fail("'[' or '('");
    qualifiers();
  };
  function observations(): void {
    observation();
    while (isWord('AND') || isWord('OR') || isWord('FOLLOWEDBY')) {
      pos++;
      observation();
    }
  }

  try {
    observations();
    if (pos < tokens.length) fail('the end of the pattern');
  } catch (error) {
    return { ok: false, reason: `malformed pattern: ${(error as Error).message}` };
  }
  return { ok: true, values };
}

const HASH_PATHS: Record<string, IndicatorType> = {
  'hashes.md5': 'md5',
  'hashes.sha-1': 'sha1',
  'hashes.sha1': 'sha1',
  'hashes.sha-256': 'sha256',
  'hashes.sha256': 'sha256',
};

function indicatorTypes(object: string, path: string, op: string): IndicatorType[] | null {
  if (op === 'ISSUBSET') return (object === 'ipv4-addr' || object === 'ipv6-addr') && path === 'value' ? ['cidr', 'ipv4', 'ipv6'] : null;
  if (object === 'ipv4-addr' && path === 'value') return ['ipv4', 'cidr'];
  if (object === 'ipv6-addr' && path === 'value') return ['ipv6', 'cidr'];
  if (object === 'domain-name' && path === 'value') return ['domain'];
  if (object === 'url' && path === 'value') return ['url'];
  if (object === 'file') {
    const hash = HASH_PATHS[path];
    return hash ? [hash] : null;
  }
  if (object === 'network-traffic' && (path === 'src_ref.value' || path === 'dst_ref.value')) return ['ipv4', 'ipv6', 'cidr', 'domain'];
  return null;
}

/**
 * Inputs for the OpenAPI fuzz test (openapi-fuzz.ts): a seeded PRNG, strings, path segments and
 * bodies no request should make the server fail on, and a URL encoder that can send what
 * encodeURIComponent refuses (a lone surrogate).
 */

/** mulberry32: small, fast, good enough to draw test inputs. */
export function createRng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number): number => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number): boolean => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}
export type Rng = ReturnType<typeof createRng>;

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is written as the three
 * bytes a lax encoder would send (`\ud800` → `%ED%A0%80`, not UTF-8): the server must refuse it.
 */
export function encodeLoose(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return Array.from(s, (ch) => {
      const c = ch.charCodeAt(0);
      if (ch.length > 1 || c < 0xd800 || c > 0xdfff) return encodeURIComponent(ch);
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    }).join('');
  }
}

/** Strings no input should make the server fail on. */
export const HOSTILE_STRINGS: readonly string[] = [
  '\ud800',
  'a\udc00b',
  '\u0000',
  'nul\u0000inside',
  '../../../../etc/passwd',
  '%00',
  '\u202e\u2066rtl\u2069',
  '🦊'.repeat(40),
  "' OR 1=1 --",
  '"; DROP TABLE incidents; --',
  '<script>alert(1)</script>',
  '${{7*7}}{{7*7}}',
  '\\',
  '%',
  'line\r\nX-Injected: 1',
  '',
  ' ',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(400),
  'x'.repeat(100_000),
];

/** Path segments that are not ids, sent as they are (already percent-encoded where needed). */
export const HOSTILE_SEGMENTS: readonly string[] = [
  'not-a-uuid',
  '1',
  '-1',
  '0',
  '99999999999999999999999',
  '00000000-0000-0000-0000-00000000000g',
  '..',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a%00b',
  '%ZZ',
  '%',
  '%ed%a0%80',
  '%ff%fe',
  '%C0%AF',
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent('<script>'),
  'x'.repeat(4000),
  '__proto__',
  'constructor',
];

export const MALFORMED_BODIES: readonly (string | Buffer)[] = [
  '',
  '{',
  '{"a":',
  '[1,2',
  'nul',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '\u0000',
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  Buffer.from('{"a":"\xed\xa0\x80"}', 'latin1'),
  '['.repeat(100_000),
  `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  '1e999999',
  '"just a string"',
  'null',
  '[]',
];

/** A v4 UUID drawn from `rng` (unknown to the server). */
export function seededUuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16));
  hex[12] = '4';
  hex[16] = rng.pick(['8', '9', 'a', 'b']);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `{"d":[{"d":[ ... ]}]}` nested `depth` times, as text (JSON.stringify would overflow the stack). */
export function deepNesting(depth: number): string {
  return `${'{"d":['.repeat(depth)}0${']}'.repeat(depth)}`;
}

/**
 * Text every store and peer can hold. JSON may carry a lone UTF-16 surrogate (`"\ud800"`), which
 * is not Unicode: UTF-8 cannot encode it, Postgres jsonb refuses it, and a document holding one
 * used to fail its projection. Postgres text and jsonb also refuse U+0000. One finder for the
 * HTTP edge, which refuses such input naming where it is (`findUnsafeText`), and one repair for
 * what arrives another way, such as a peer's Yjs update (`safeText`: lone surrogates become
 * U+FFFD, NUL is dropped).
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

export type UnsafeTextProblem = 'lone_surrogate' | 'nul';

export const UNSAFE_TEXT_REASONS = {
  lone_surrogate: 'contains a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair), which is not valid Unicode',
  nul: 'contains a NUL character (\\u0000), which cannot be stored',
} as const satisfies Record<UnsafeTextProblem, string>;

/** What is wrong with this string, or null. */
export function unsafeTextProblem(s: string): UnsafeTextProblem | null {
  if (s.includes('\u0000')) return 'nul';
  return LONE_SURROGATE.test(s) ? 'lone_surrogate' : null;
}

/** The string with each lone surrogate replaced by U+FFFD and NUL removed (the same string when clean). */
export function safeText(s: string): string {
  if (unsafeTextProblem(s) === null) return s;
  return s.replace(LONE_SURROGATES, '\uFFFD').replace(/\u0000/g, '');
}

export interface UnsafeTextFound {
  /** Keys and indexes from the root to the string (for a bad key: to the object holding it). */
  path: (string | number)[];
  problem: UnsafeTextProblem;
  /** The bad string is a key of the object at `path`, not a value. */
  inKey: boolean;
}

interface Node {
  value: unknown;
  key: string | number | null;
  parent: Node | null;
}

const pathOf = (n: Node): (string | number)[] => {
  const out: (string | number)[] = [];
  for (let at: Node | null = n; at && at.key !== null; at = at.parent) out.push(at.key);
  return out.reverse();
};

/**
 * The first unsafe string in a JSON-like value (object keys included), or null. Iterative, so a
 * deeply nested body cannot overflow the stack.
 */
export function findUnsafeText(value: unknown): UnsafeTextFound | null {
  const stack: Node[] = [{ value, key: null, parent: null }];
  for (let n = stack.pop(); n; n = stack.pop()) {
    const v = n.value;
    if (typeof v === 'string') {
      const problem = unsafeTextProblem(v);
      if (problem) return { path: pathOf(n), problem, inKey: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: n });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (const k of keys) {
        const problem = unsafeTextProblem(k);
        if (problem) return { path: pathOf(n), problem, inKey: true };
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        stack.push({ value: (v as Record<string, unknown>)[k], key: k, parent: n });
      }
    }
  }
  return null;
}

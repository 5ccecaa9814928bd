import { describe, expect, it } from 'vitest';
import { findUnsafeText, safeText, unsafeTextProblem } from './safe-text.ts';

describe('safe text', () => {
  it('finds lone surrogates and NUL, and lets surrogate pairs through', () => {
    expect(unsafeTextProblem('plain')).toBeNull();
    expect(unsafeTextProblem('emoji \u{1F600}')).toBeNull();
    expect(unsafeTextProblem('a\ud800')).toBe('lone_surrogate');
    expect(unsafeTextProblem('\udc00a')).toBe('lone_surrogate');
    expect(unsafeTextProblem('\ude00\ud83d')).toBe('lone_surrogate');
    expect(unsafeTextProblem('a\u0000b')).toBe('nul');
  });

  it('repairs: lone surrogates become U+FFFD, NUL goes, pairs stay', () => {
    expect(safeText('a\ud800b\udc00\u0000c\u{1F600}')).toBe('a\uFFFDb\uFFFDc\u{1F600}');
    const clean = 'nothing to do';
    expect(safeText(clean)).toBe(clean);
  });

  it('names the path of the first unsafe value or key, however deep', () => {
    expect(findUnsafeText({ a: [1, 'ok', { b: 'x\ud800' }] })).toEqual({ path: ['a', 2, 'b'], problem: 'lone_surrogate', inKey: false });
    expect(findUnsafeText({ a: { ['k\u0000']: 1 } })).toEqual({ path: ['a'], problem: 'nul', inKey: true });
    expect(findUnsafeText('\udfff')).toEqual({ path: [], problem: 'lone_surrogate', inKey: false });
    expect(findUnsafeText({ a: 1, b: [true, null, 'fine \u{1F600}'] })).toBeNull();
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeText(deep)?.path).toHaveLength(100_000);
  });
});

/** The advisory-lock table: no two features share a fixed key, and every key fits a Postgres bigint. */
import { describe, expect, it } from 'vitest';
import { KEYED_LOCK_SEEDS, LOCKS } from './locks.ts';

describe('advisory lock ids', () => {
  it('gives every feature its own fixed key', () => {
    const keys = Object.values(LOCKS);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(Number.isSafeInteger(key) && key > 0).toBe(true);
  });

  it('keeps keyed-lock seeds small integers (hashtextextended takes a bigint seed)', () => {
    for (const seed of Object.values(KEYED_LOCK_SEEDS)) expect(Number.isInteger(seed) && seed >= 0).toBe(true);
  });
});

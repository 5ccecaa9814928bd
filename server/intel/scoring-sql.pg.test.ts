import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DECAY_MODELS, decayedScore } from '../../shared/intel-api.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { readDecayModels, writeDecayModels } from './scoring-sql.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

const DAY = 86_400_000;

describe('IN11: decay values at chosen ages', () => {
  it('ipv4 (30 days, speed 0.5): drops early, 0 at the lifetime', () => {
    const m = DEFAULT_DECAY_MODELS.ipv4;
    expect(decayedScore(80, 0, m)).toBe(80);
    expect(decayedScore(80, 7.5 * DAY, m)).toBeCloseTo(80 * (1 - 0.25 ** 2), 9); // 75
    expect(decayedScore(80, 15 * DAY, m)).toBeCloseTo(60, 9);
    expect(decayedScore(80, 30 * DAY, m)).toBe(0);
    expect(decayedScore(80, 400 * DAY, m)).toBe(0);
  });
  it('sha256 (730 days, speed 2): stays high longer', () => {
    const m = DEFAULT_DECAY_MODELS.sha256;
    expect(decayedScore(100, 182.5 * DAY, m)).toBeCloseTo(50, 9);
    expect(decayedScore(100, 365 * DAY, m)).toBeCloseTo(100 * (1 - Math.sqrt(0.5)), 9);
  });
});

describe('IN11: intel_score (SQL) equals decayedScore', () => {
  it.each([
    ['ipv4', 0],
    ['ipv4', 1],
    ['ipv4', 7.5],
    ['ipv4', 29.99],
    ['ipv4', 30],
    ['ipv4', 31],
    ['domain', 45],
    ['sha256', 182.5],
    ['sha256', 729],
    ['url', 12.3],
  ] as const)('%s at %s days', async (type, days) => {
    const m = DEFAULT_DECAY_MODELS[type];
    const at = new Date('2026-06-01T00:00:00Z');
    const lastSeen = new Date(at.getTime() - days * DAY);
    const [row] = await db.sql<{ s: number }[]>`SELECT intel_score(73.5, ${lastSeen}, ${m.lifetime_days}, ${m.speed}, ${at}) AS s`;
    expect(row?.s).toBeCloseTo(decayedScore(73.5, days * DAY, m), 9);
  });
});

describe('decay models', () => {
  it('defaults where none is stored; a stored model replaces its type only', async () => {
    const before = await readDecayModels(db.sql);
    expect(before).toHaveLength(8);
    expect(before.find((m) => m.type === 'url')).toEqual({ type: 'url', ...DEFAULT_DECAY_MODELS.url });
    await writeDecayModels(db.sql, [{ type: 'url', lifetime_days: 10, speed: 3, threshold: 40 }], 'tester');
    const after = await readDecayModels(db.sql);
    expect(after.find((m) => m.type === 'url')).toEqual({ type: 'url', lifetime_days: 10, speed: 3, threshold: 40 });
    expect(after.find((m) => m.type === 'domain')).toEqual({ type: 'domain', ...DEFAULT_DECAY_MODELS.domain });
  });
});

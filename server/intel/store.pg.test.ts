import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { ingest, type IngestSource, type StoreItem } from './store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

const source = (name: string, confidence: number, runId: string | null = null, complete = false): IngestSource => ({
  feedId: null,
  source: name,
  confidence,
  tlp: 'amber',
  runId,
  complete,
});
const ip = (value: string, extra: Partial<StoreItem> = {}): StoreItem => ({ type: 'ipv4', value, ...extra });

async function indicator(value: string) {
  const [row] = await db.sql<
    { id: number; base_confidence: number; tags: string[]; malware: string[]; tlp: string; first_seen: Date; last_seen: Date }[]
  >`SELECT * FROM indicators WHERE value = ${value}`;
  return row;
}

describe('ingest', () => {
  it('IN9: adds new indicators and counts updates on a second source', async () => {
    const first = await ingest(db.sql, source('a', 60), [ip('198.51.100.1', { tags: ['scanner'] }), ip('198.51.100.2')]);
    expect(first).toMatchObject({ added: 2, updated: 0, expired: 0 });
    const ids = (await db.sql<{ id: string }[]>`SELECT id FROM indicators WHERE value IN ('198.51.100.1', '198.51.100.2') ORDER BY id`).map((r) =>
      Number(r.id),
    );
    expect(first.addedRange).toEqual({ from: ids[0], to: ids[1] });
    const second = await ingest(db.sql, source('b', 50), [ip('198.51.100.1', { tags: ['botnet', 'scanner'], tlp: 'red' })]);
    expect(second).toMatchObject({ added: 0, updated: 1 });
    const row = await indicator('198.51.100.1');
    // Two independent sources: 1 - (1 - 0.6)(1 - 0.5) = 0.8
    expect(row?.base_confidence).toBeCloseTo(80, 3);
    expect(row?.tags).toEqual(['botnet', 'scanner']);
    expect(row?.tlp).toBe('red');
    expect((await indicator('198.51.100.2'))?.base_confidence).toBeCloseTo(60, 3);
  });

  it('IN8: a run that fails halfway leaves the stored data as it was', async () => {
    const before = await db.sql`SELECT * FROM indicators ORDER BY id`;
    const sightings = await db.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`;
    async function* broken(): AsyncGenerator<StoreItem> {
      yield ip('198.51.100.1', { confidence: 5, tags: ['changed'] });
      yield ip('203.0.113.77');
      throw new Error('connection reset while downloading');
    }
    await expect(ingest(db.sql, source('a', 90, '00000000-0000-4000-8000-000000000001', true), broken())).rejects.toThrow('connection reset');
    expect(await db.sql`SELECT * FROM indicators ORDER BY id`).toEqual(before);
    expect(await db.sql`SELECT * FROM indicator_sightings ORDER BY indicator_id, source`).toEqual(sightings);
  });

  it('IN10: a complete run expires what the source no longer lists; a later listing revives it', async () => {
    const run1 = '00000000-0000-4000-8000-000000000011';
    const run2 = '00000000-0000-4000-8000-000000000012';
    const run3 = '00000000-0000-4000-8000-000000000013';
    await ingest(db.sql, source('c', 70, run1, true), [ip('192.0.2.10'), ip('192.0.2.11')]);
    const second = await ingest(db.sql, source('c', 70, run2, true), [ip('192.0.2.10')]);
    expect(second).toMatchObject({ added: 0, updated: 1, expired: 1 });
    expect((await indicator('192.0.2.11'))?.base_confidence).toBe(0);
    expect((await indicator('192.0.2.10'))?.base_confidence).toBeCloseTo(70, 3);
    const [gone] = await db.sql<
      { expired_at: Date | null }[]
    >`SELECT g.expired_at FROM indicator_sightings g JOIN indicators i ON i.id = g.indicator_id WHERE i.value = '192.0.2.11'`;
    expect(gone?.expired_at).toBeInstanceOf(Date);
    const third = await ingest(db.sql, source('c', 70, run3, true), [ip('192.0.2.10'), ip('192.0.2.11')]);
    expect(third).toMatchObject({ added: 0, updated: 2, expired: 0 });
    expect((await indicator('192.0.2.11'))?.base_confidence).toBeCloseTo(70, 3);
  });

  it('IN9: merges a value repeated in one run and widens first/last seen', async () => {
    const result = await ingest(db.sql, source('d', 40), [
      ip('192.0.2.50', { malware: ['emotet'], last_seen: '2026-01-01T00:00:00Z', first_seen: '2025-12-01T00:00:00Z' }),
      ip('192.0.2.50', { malware: ['qakbot'], last_seen: '2026-02-01T00:00:00Z', first_seen: '2025-11-01T00:00:00Z', confidence: 55 }),
      { type: 'cidr', value: '192.0.2.0/24', tags: ['tab\there', 'quote"and\\slash'] },
    ]);
    expect(result).toMatchObject({ added: 2, updated: 0 });
    const row = await indicator('192.0.2.50');
    expect(row?.malware).toEqual(['emotet', 'qakbot']);
    expect(row?.base_confidence).toBeCloseTo(55, 3);
    expect(row?.first_seen.toISOString()).toBe('2025-11-01T00:00:00.000Z');
    expect(row?.last_seen.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    const [net] = await db.sql<{ net: string; tags: string[] }[]>`SELECT net::text AS net, tags FROM indicators WHERE value = '192.0.2.0/24'`;
    expect(net?.net).toBe('192.0.2.0/24');
    expect([...(net?.tags ?? [])].sort()).toEqual(['quote"and\\slash', 'tab\there'].sort());
  });

  it("numbers a run's new indicators as one range in value order, and the id sequence continues after it", async () => {
    const values = ['203.0.113.9', '203.0.113.1', '203.0.113.5'];
    const result = await ingest(
      db.sql,
      source('e', 50),
      values.map((v) => ip(v)),
    );
    expect(result.added).toBe(3);
    const rows = await db.sql<{ id: string; value: string }[]>`SELECT id::text, value FROM indicators WHERE value = ANY(${values}) ORDER BY id`;
    expect(rows.map((r) => r.value)).toEqual(['203.0.113.1', '203.0.113.5', '203.0.113.9']);
    expect(result.addedRange).toEqual({ from: Number(rows[0]?.id), to: Number(rows[2]?.id) });
    expect(Number(rows[2]?.id) - Number(rows[0]?.id)).toBe(2);
    // A run with nothing new takes no block; the next new value comes after the last range.
    expect((await ingest(db.sql, source('e', 50), [ip('203.0.113.1')])).addedRange).toBeNull();
    const next = await ingest(db.sql, source('e', 50), [ip('203.0.113.77')]);
    expect(next.addedRange?.from).toBeGreaterThan(Number(rows[2]?.id));
    const [free] = await db.sql<
      { id: string }[]
    >`INSERT INTO indicators (type, value, base_confidence, first_seen, last_seen) VALUES ('domain', 'sequence-check.example', 1, now(), now()) RETURNING id::text`;
    expect(Number(free?.id)).toBeGreaterThan(next.addedRange?.to ?? Infinity);
    await db.sql`DELETE FROM indicators WHERE value = 'sequence-check.example'`;
  });
});

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  COST_LAYOUT,
  COST_LIMITS,
  formatMinor,
  formatMoney,
  parseDecimal,
  readCost,
  removeCostLine,
  setCostCurrency,
  setCostLine,
  timeCost,
} from './incident-cost.ts';

const line = (doc: Y.Doc, input: unknown): string => {
  const r = setCostLine(doc, input, 'ana');
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('cost totals', () => {
  it('sums each kind exactly in minor units: downtime hours × rate, effort hours × rate, recovery and third-party amounts', () => {
    const doc = new Y.Doc();
    line(doc, { kind: 'downtime', label: 'ERP', target: 'service', hours: 250, rate: 1_000_000, assumption: 'lost orders per hour' }); // 2.5 h × 10,000.00
    line(doc, { kind: 'effort', label: 'Bea', hours: 1_050, rate: 9_500 }); // 10.5 h × 95.00 = 997.50
    line(doc, { kind: 'recovery', label: 'Rebuild servers', amount: 120_000 });
    line(doc, { kind: 'third_party', label: 'DFIR firm', category: 'forensics', amount: 1_500_001 });
    const c = readCost(doc);
    expect(c.subtotals).toEqual({ downtime: 2_500_000, effort: 99_750, recovery: 120_000, third_party: 1_500_001 });
    expect(c.total).toBe(2_500_000 + 99_750 + 120_000 + 1_500_001);
    expect(c.currency).toBe('EUR');
    expect(c.lines.map((l) => l.assumption)).toEqual(['lost orders per hour', '', '', '']);
    expect(c.problems).toEqual([]);
  });

  it('has no float drift: 0.10 + 0.20 added a thousand times is exactly 300.00', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < 100; i++) {
      line(doc, { kind: 'recovery', label: `a${i}`, amount: 10 });
      line(doc, { kind: 'recovery', label: `b${i}`, amount: 20 });
    }
    expect(readCost(doc).total).toBe(3_000);
    expect(formatMinor(readCost(doc).total, 2)).toBe('30.00');
  });

  it('rounds a time line half up to the minor unit once per line', () => {
    expect(timeCost(1, 50)).toBe(1); // 0.01 h × 0.50 = 0.005 → 0.01
    expect(timeCost(1, 49)).toBe(0);
    expect(timeCost(COST_LIMITS.hours, COST_LIMITS.rate)).toBe(COST_LIMITS.hours * (COST_LIMITS.rate / 100));
  });

  it('counts a running outage up to now and a closed one up to its end', () => {
    const doc = new Y.Doc();
    line(doc, { kind: 'downtime', label: 'web-01', target: 'asset', assetId: 'a1', from: '2026-01-01T00:00:00Z', rate: 10_000 });
    line(doc, { kind: 'downtime', label: 'db-01', target: 'asset', from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:30:00Z', rate: 10_000 });
    const c = readCost(doc, { now: new Date('2026-01-01T03:00:00Z') });
    expect(c.lines.map((l) => [l.hoursUsed, l.cost, l.running])).toEqual([
      [300, 30_000, true],
      [150, 15_000, false],
    ]);
    expect(c.running).toBe(true);
    expect(c.total).toBe(45_000);
  });

  it('edits a line in place, keeps its kind, and leaves a deleted line out of the totals', () => {
    const doc = new Y.Doc();
    const id = line(doc, { kind: 'recovery', label: 'Backups', amount: 100 });
    line(doc, { id, kind: 'recovery', label: 'Backups restored', amount: 250 });
    expect(readCost(doc).total).toBe(250);
    expect(setCostLine(doc, { id, kind: 'effort', label: 'x', hours: 1, rate: 1 }, 'ana')).toMatchObject({ ok: false });
    expect(removeCostLine(doc, id, 'ana').ok).toBe(true);
    expect(readCost(doc)).toMatchObject({ total: 0, lines: [] });
    expect(doc.getArray(COST_LAYOUT.lines).length).toBe(1);
  });

  it('refuses bad input naming the field, and writes nothing', () => {
    const doc = new Y.Doc();
    const bad = [
      { kind: 'recovery', label: 'x', amount: 1.5 },
      { kind: 'recovery', label: '', amount: 1 },
      { kind: 'effort', label: 'x', hours: -1, rate: 1 },
      { kind: 'downtime', label: 'x', target: 'asset', rate: 1 },
      { kind: 'downtime', label: 'x', target: 'asset', rate: 1, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { kind: 'third_party', label: 'x', category: 'bribes', amount: 1 },
      { kind: 'recovery', label: 'x', amount: COST_LIMITS.amount + 1 },
      { kind: 'lottery', label: 'x' },
    ];
    for (const b of bad) expect(setCostLine(doc, b, 'ana').ok, JSON.stringify(b)).toBe(false);
    const r = setCostLine(doc, { kind: 'recovery', label: 'x', amount: -5 }, 'ana');
    expect(r.ok ? '' : r.error).toMatch(/^amount:/);
    expect(doc.getArray(COST_LAYOUT.lines).length).toBe(0);
    expect(setCostCurrency(doc, 'EURO', 'ana').ok).toBe(false);
  });

  it('stops at the line limit', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < COST_LIMITS.lines; i++) line(doc, { kind: 'recovery', label: 'x', amount: 1 });
    expect(setCostLine(doc, { kind: 'recovery', label: 'x', amount: 1 }, 'ana')).toMatchObject({ ok: false });
  });

  it('reads hostile data defensively: bad lines are warned about and not counted, never a crash', () => {
    const doc = new Y.Doc();
    line(doc, { kind: 'recovery', label: 'ok', amount: 7 });
    const lines = doc.getArray<unknown>(COST_LAYOUT.lines);
    const evil = new Y.Map<unknown>();
    for (const [k, v] of Object.entries({ id: 'e', kind: 'recovery', label: 'x', amount: 'lots', createdAt: 'x' })) evil.set(k, v);
    lines.push(['not a map', evil]);
    doc.getMap(COST_LAYOUT.settings).set('currency', 42);
    const c = readCost(doc);
    expect(c.total).toBe(7);
    expect(c.currency).toBe('EUR');
    expect(c.problems).toHaveLength(3);
  });

  it('two devices adding lines offline keep both, and concurrent edits of different fields of one line both stay', () => {
    const a = new Y.Doc();
    const id = line(a, { kind: 'effort', label: 'Bea', hours: 100, rate: 5_000 });
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    line(a, { kind: 'recovery', label: 'A', amount: 1 });
    line(b, { kind: 'recovery', label: 'B', amount: 2 });
    setCostLine(a, { id, kind: 'effort', label: 'Bea', hours: 200, rate: 5_000 }, 'ana');
    setCostLine(b, { id, kind: 'effort', label: 'Bea', hours: 100, rate: 6_000 }, 'bob');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readCost(a).total).toBe(readCost(b).total);
    expect(readCost(a).total).toBe(200 * 60 + 3);
  });

  it('works in the currency of the incident (JPY has no minor unit)', () => {
    const doc = new Y.Doc();
    expect(setCostCurrency(doc, 'JPY', 'ana').ok).toBe(true);
    expect(readCost(doc).currency).toBe('JPY');
    expect(parseDecimal('1,234.5', 2)).toBe(123_450);
    expect(parseDecimal('12', 0)).toBe(12);
    expect(parseDecimal('1.234', 2)).toBeNull();
    expect(parseDecimal('-1', 2)).toBeNull();
    expect(formatMoney(123_450, 'EUR')).toBe('€1,234.50');
    expect(formatMoney(1_999_999_999_999_999, 'EUR')).toBe('€19,999,999,999,999.99');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
  });
});

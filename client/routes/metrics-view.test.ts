import { describe, expect, it } from 'vitest';
import { breakdownRows, formatMinutes, metricsRange } from './metrics-view.ts';

describe('metrics page helpers', () => {
  it('turns a preset into a range ending now, and two dates into whole days', () => {
    const now = Date.parse('2026-11-22T10:00:00.000Z');
    expect(metricsRange('7d', { from: '', to: '' }, now)).toEqual({ from: '2026-11-15T10:00:00.000Z', to: '2026-11-22T10:00:00.000Z' });
    const custom = metricsRange('custom', { from: '2026-11-01', to: '2026-11-01' }, now);
    if ('error' in custom) throw new Error(custom.error);
    expect(Date.parse(custom.to) - Date.parse(custom.from)).toBe(86_400_000);
    expect(metricsRange('custom', { from: '2026-11-02', to: '2026-11-01' }, now)).toEqual({ error: 'The first date must not be after the last.' });
    expect(metricsRange('custom', { from: '', to: '2026-11-01' }, now)).toEqual({ error: 'Choose both dates.' });
  });

  it('reads durations the way a lead says them', () => {
    expect(formatMinutes(null)).toBe('—');
    expect(formatMinutes(42.4)).toBe('42 min');
    expect(formatMinutes(134)).toBe('2 h 14 min');
    expect(formatMinutes(120)).toBe('2 h');
    expect(formatMinutes(3 * 1440 + 4 * 60)).toBe('3 d 4 h');
    expect(formatMinutes(2 * 1440)).toBe('2 d');
  });

  it('orders a breakdown largest first, in the given vocabulary only', () => {
    expect(breakdownRows({ S1: 1, S3: 4, S9: 7 }, ['S1', 'S2', 'S3'] as const)).toEqual([
      { key: 'S3', n: 4, share: 1 },
      { key: 'S1', n: 1, share: 0.25 },
    ]);
  });
});

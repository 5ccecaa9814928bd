import { afterEach, describe, expect, it } from 'vitest';
import { absoluteTime, fromLocalInput, stampTime, toLocalInput, zoneName } from './time-format.ts';
import { chooseDisplayZone, loadDisplayZone, UTC } from './time-zone.ts';

afterEach(() => chooseDisplayZone(UTC));

describe('times on screen', () => {
  it('carry seconds and the zone, in UTC unless the user chose another zone', () => {
    loadDisplayZone('no-storage-in-node');
    expect(absoluteTime('2026-03-01T08:15:30.000Z')).toMatch(/08:15:30/);
    expect(absoluteTime('2026-03-01T08:15:30.000Z')).toMatch(/UTC/);
    expect(stampTime('2026-03-01T08:15:30.000Z', Date.parse('2026-03-01T09:00:00Z'))).toBe('08:15:30');
    chooseDisplayZone('Europe/Berlin');
    expect(stampTime('2026-03-01T08:15:30.000Z', Date.parse('2026-03-01T09:00:00Z'))).toBe('09:15:30');
    expect(zoneName('Europe/Berlin', Date.parse('2026-07-01T00:00:00Z'))).toMatch(/CEST|GMT\+2/);
  });

  it('reads and writes date inputs in the display zone, across a daylight-saving change', () => {
    chooseDisplayZone('Europe/Berlin');
    expect(fromLocalInput('2026-03-01T09:15:30')).toBe('2026-03-01T08:15:30.000Z');
    expect(fromLocalInput('2026-07-01T09:15')).toBe('2026-07-01T07:15:00.000Z');
    expect(toLocalInput('2026-07-01T07:15:00.000Z')).toBe('2026-07-01T09:15:00');
    chooseDisplayZone(UTC);
    expect(fromLocalInput('2026-03-01T09:15:30')).toBe('2026-03-01T09:15:30.000Z');
    expect(fromLocalInput('not a time')).toBeNull();
    // A zone the runtime does not know falls back to UTC.
    chooseDisplayZone('Not/AZone');
    expect(absoluteTime('2026-03-01T08:15:30.000Z')).toMatch(/08:15:30.*UTC/);
  });
});

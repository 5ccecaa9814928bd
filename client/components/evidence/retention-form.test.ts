import { describe, expect, it } from 'vitest';
import type { Retention } from '../../../shared/evidence-api.ts';
import { parseRetentionFields, retentionFields, sameRetention, shortenedCategories } from './retention-form.ts';

const retention = (over: Partial<Retention> = {}): Retention => ({ days: { ransomware: 730 }, default_days: 365, ...over });

describe('retention form', () => {
  it('shows a set category with its days and the others empty (following the default)', () => {
    const f = retentionFields(retention());
    expect(f.defaultDays).toBe('365');
    expect(f.days.ransomware).toBe('730');
    expect(f.days.phishing).toBe('');
  });

  it('reads the fields back into the settings the server takes', () => {
    const f = retentionFields(retention());
    f.days.phishing = ' 90 ';
    f.days.ransomware = '';
    expect(parseRetentionFields(f)).toEqual({ ok: true, value: { days: { phishing: 90 }, default_days: 365 } });
  });

  it('names each field that is not a whole number of days within the bound, and a missing default', () => {
    const f = retentionFields(retention());
    f.defaultDays = '';
    f.days.malware = '-1';
    f.days.ddos = '1.5';
    f.days.insider = '36501';
    expect(parseRetentionFields(f)).toEqual({
      ok: false,
      error: { default: 'required', malware: 'whole days, 0 or more', ddos: 'whole days, 0 or more', insider: 'at most 36,500 days' },
    });
  });

  it('lists the categories a change shortens, counting the default for categories without their own', () => {
    const next = retention({ days: { ransomware: 730, phishing: 400 }, default_days: 180 });
    const shorter = shortenedCategories(retention(), next);
    expect(shorter).toContain('malware');
    expect(shorter).not.toContain('ransomware');
    expect(shorter).not.toContain('phishing');
  });

  it('tells unchanged settings from changed ones', () => {
    expect(sameRetention(retention(), retention())).toBe(true);
    expect(sameRetention(retention(), retention({ days: {} }))).toBe(false);
    expect(sameRetention(retention(), retention({ default_days: 366 }))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_BULK_LOOKUP } from '../../../shared/intel-api.ts';
import { parseLookupInput, rowsFromLocal, summarize } from './lookup-rows.ts';

describe('the intel page lookup input', () => {
  it('splits one value per line, dropping blank lines and duplicates', () => {
    expect(parseLookupInput(' 203.0.113.9 \r\n\nevil[.]example\n203.0.113.9\n')).toEqual({ ok: true, values: ['203.0.113.9', 'evil[.]example'] });
  });

  it('refuses an empty paste and more than the bulk limit, naming the count', () => {
    expect(parseLookupInput(' \n ')).toMatchObject({ ok: false });
    const many = Array.from({ length: MAX_BULK_LOOKUP + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}x`).join('\n');
    const res = parseLookupInput(many);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.message).toContain('10,001 pasted');
  });

  it('counts matches and values that are not indicators', () => {
    const rows = rowsFromLocal([
      { value: '1.2.3.4', type: 'ipv4', canonical: '1.2.3.4', matches: [{ type: 'cidr', value: '1.2.3.0/24', score: 80 }] },
      { value: 'x', type: null, canonical: null, matches: [] },
      { value: 'a.example', type: 'domain', canonical: 'a.example', matches: [] },
    ]);
    expect(rows[0]?.matches[0]).toMatchObject({ id: null, active: true, sources: [] });
    expect(summarize(rows)).toEqual({ values: 3, matched: 1, notIndicators: 1 });
  });
});

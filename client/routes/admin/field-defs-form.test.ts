import { describe, expect, it } from 'vitest';
import { emptyRow, parseRows, rowsOf } from './field-defs-form.ts';

describe('custom field definitions form', () => {
  it('turns rows into definitions: options only for a select, empty labels left out', () => {
    const r = parseRows([
      { name: 'ransom_note_found', label: '', type: 'boolean', options: 'ignored', required: false },
      { name: 'variant', label: 'Ransomware family', type: 'select', options: 'LockBit, BlackCat , ,Akira', required: true },
    ]);
    expect(r).toEqual({
      ok: true,
      value: [
        { name: 'ransom_note_found', type: 'boolean', required: false },
        { name: 'variant', label: 'Ransomware family', type: 'select', options: ['LockBit', 'BlackCat', 'Akira'], required: true },
      ],
    });
    if (r.ok)
      expect(rowsOf(r.value)[1]).toEqual({ name: 'variant', label: 'Ransomware family', type: 'select', options: 'LockBit, BlackCat, Akira', required: true });
  });

  it('names each problem by its row and field, as the server would refuse it', () => {
    const r = parseRows([
      { ...emptyRow(), name: 'Bad Name' },
      { ...emptyRow(), name: 'family', type: 'select' },
      { ...emptyRow(), name: 'family' },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain('Field 1 (name): lower-case letters, digits and _ (start with a letter)');
    expect(r.error).toContain('Field 2 (options): a select field needs options');
    expect(r.error).toContain('field names must be unique');
  });
});

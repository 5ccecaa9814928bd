import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../../shared/incident-schema.ts';
import { lostEdits } from './field-conflicts.ts';

const change = (id: string, author: string, createdAt: string, field: string, to: unknown, from: unknown = null): TimelineEntry => ({
  id,
  at: createdAt,
  createdAt,
  author,
  kind: 'field_change',
  text: '',
  data: { field, from, to },
  deleted: false,
  editedAt: null,
  editedBy: null,
  deletedBy: null,
  deletedAt: null,
  evidence: [],
});

describe('lost field edits', () => {
  it("names the user's change that a concurrent one replaced, and whose value was kept", () => {
    // Ana set S1 at 10:00; Bo, offline, set S3 at 10:01; the merge kept S1.
    const entries = [change('a', 'Ana', '2026-01-01T10:00:00.000Z', 'severity', 'S1'), change('b', 'Bo', '2026-01-01T10:01:00.000Z', 'severity', 'S3')];
    const lost = lostEdits(entries, 'Bo', (f) => (f === 'severity' ? 'S1' : null));
    expect([...lost.entries()]).toEqual([['b', { field: 'severity', mine: 'S3', now: 'S1', by: 'Ana' }]]);
    // Ana's value is the one kept: nothing lost for her.
    expect(lostEdits(entries, 'Ana', () => 'S1').size).toBe(0);
  });

  it('does not call a later, deliberate change by a colleague a lost edit', () => {
    // Ana saw Bo's S3 and changed it (her change is from S3).
    const entries = [
      change('b', 'Bo', '2026-01-01T10:00:00.000Z', 'severity', 'S3', 'S2'),
      change('a', 'Ana', '2026-01-01T10:05:00.000Z', 'severity', 'S1', 'S3'),
    ];
    expect(lostEdits(entries, 'Bo', () => 'S1').size).toBe(0);
  });

  it('names a change replaced by a later one that never saw it (written offline from the value before)', () => {
    // Bo set S3 at 10:00; Ana, offline since before, set S1 at 10:05 from S2; the merge kept S1.
    const entries = [
      change('b', 'Bo', '2026-01-01T10:00:00.000Z', 'severity', 'S3', 'S2'),
      change('a', 'Ana', '2026-01-01T10:05:00.000Z', 'severity', 'S1', 'S2'),
    ];
    expect([...lostEdits(entries, 'Bo', () => 'S1').entries()]).toEqual([['b', { field: 'severity', mine: 'S3', now: 'S1', by: 'Ana' }]]);
    expect(lostEdits(entries, 'Ana', () => 'S1').size).toBe(0);
  });
});

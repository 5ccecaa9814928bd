/**
 * "A concurrent edit replaced your value": two people set the same field at once (one of them
 * offline, say), the document keeps one value, and both changes are recorded as field changes.
 * The losing side is the user's latest change of a field whose value is now someone else's, set
 * by a change that did not see the user's: written no later than the user's own, or written
 * later from another value than the user's (its `from` is not the user's `to`: the colleague
 * never saw it — offline, say — and the merge kept theirs). A later, deliberate edit by a
 * colleague, made over the user's value, is an ordinary change, not a lost one. Pure, over the
 * entries on screen.
 */
import type { TimelineEntry } from '../../../shared/incident-schema.ts';

export interface LostEdit {
  field: string;
  /** What the user set. */
  mine: unknown;
  /** What the field holds now. */
  now: unknown;
  /** Whose value was kept. */
  by: string;
}

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Plain field changes (not corrections of stamped times, entry times or the breach flag). */
function fieldOf(e: TimelineEntry): string | null {
  if (e.kind !== 'field_change' || e.deleted) return null;
  const f = e.data?.['field'];
  if (typeof f !== 'string' || e.data?.['correction'] === true || f === 'entry_time' || f === 'breach') return null;
  return f;
}

/** The user's field changes that lost to a concurrent one, by entry id. */
export function lostEdits(entries: readonly TimelineEntry[], me: string, current: (field: string) => unknown): Map<string, LostEdit> {
  const mine = new Map<string, TimelineEntry>();
  for (const e of entries) {
    const f = fieldOf(e);
    if (!f || e.author !== me) continue;
    const prev = mine.get(f);
    if (!prev || prev.createdAt <= e.createdAt) mine.set(f, e);
  }
  const out = new Map<string, LostEdit>();
  for (const [field, m] of mine) {
    const now = current(field);
    if (same(now, m.data?.['to'])) continue;
    const kept = entries.find(
      (e) => fieldOf(e) === field && e.author !== me && same(e.data?.['to'], now) && (e.createdAt <= m.createdAt || !same(e.data?.['from'], m.data?.['to'])),
    );
    if (kept) out.set(m.id, { field, mine: m.data?.['to'], now, by: kept.author });
  }
  return out;
}

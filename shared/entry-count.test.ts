import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTimelineEntry, createIncident, readTimeline, setEntryCount } from './incident-doc.ts';

describe('setEntryCount', () => {
  it('raises an alert entry count and never lowers it', () => {
    const a = new Y.Doc({ guid: '0190aaaa-0000-7000-8000-0000000000aa' });
    createIncident(a, { title: 'x', createdBy: 't' });
    const r = addTimelineEntry(a, { kind: 'alert', text: 'Beacon', author: 'alert:test', data: { alert_id: 'a1', count: 1 } });
    if (!r.ok) throw new Error(r.error);
    expect(setEntryCount(a, r.value, 4).ok).toBe(true);
    expect(setEntryCount(a, r.value, 3).ok).toBe(true);
    expect(readTimeline(a).find((e) => e.id === r.value)?.data).toEqual({ alert_id: 'a1', count: 4 });
    // Another device sees it.
    const b = new Y.Doc({ guid: a.guid });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readTimeline(b).find((e) => e.id === r.value)?.data).toEqual({ alert_id: 'a1', count: 4 });
    expect(setEntryCount(a, 'nope', 2).ok).toBe(false);
    expect(setEntryCount(a, r.value, 0).ok).toBe(false);
  });
});

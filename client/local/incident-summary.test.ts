// @vitest-environment node
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTask, addTimelineEntry, readTimeline, updateTimelineEntry } from '../../shared/incident-doc.ts';
import { summarizeDoc } from './incident-summary.ts';
import { makeIncidentDoc } from './testing/fixtures.ts';

describe('incident summary', () => {
  it('is null for a document that holds no incident yet', () => {
    expect(summarizeDoc('x', new Y.Doc())).toBeNull();
  });

  it('counts the live timeline entries as the validated read does, deleted ones left out', () => {
    const doc = makeIncidentDoc({ title: 'Counted' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const added = addTimelineEntry(doc, { kind: 'note', text: `note ${i}`, author: 'alice' });
      if (added.ok) ids.push(added.value);
    }
    updateTimelineEntry(doc, ids[1] ?? '', { deleted: true, by: 'alice' });
    addTask(doc, 'Contain');

    const summary = summarizeDoc(doc.guid, doc);

    expect(summary?.timelineCount).toBe(readTimeline(doc).filter((e) => !e.deleted).length);
    expect(summary).toMatchObject({ title: 'Counted', openTasks: 1, totalTasks: 1, problemCount: 0 });
  });

  it('counts an incident of 10,000 entries by reference, as many as the validated read', () => {
    const doc = makeIncidentDoc({ title: 'Large' });
    const start = Date.parse('2026-01-01T00:00:00Z');
    doc.transact(() => {
      for (let i = 0; i < 9_999; i++) addTimelineEntry(doc, { kind: 'note', text: `entry ${i}`, author: 'a', at: new Date(start + i * 1_000).toISOString() });
    });
    const summary = summarizeDoc(doc.guid, doc);

    expect(summary?.timelineCount).toBe(readTimeline(doc).length);
  });

  it('counts what failed validation in the fields and tasks', () => {
    const doc = makeIncidentDoc({ title: 'Broken' });
    doc.getMap('meta').set('severity', 'S9');
    const task = new Y.Map<unknown>();
    task.set('id', 42);
    doc.getArray('tasks').push([task]);

    expect(summarizeDoc(doc.guid, doc)?.problemCount).toBeGreaterThanOrEqual(2);
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTask, addTimelineEntry, createIncident, readIncident, setTaskDone, updateTimelineEntry } from '../../shared/incident-doc.ts';
import { cleanJson, toDate, toProjection } from './projection.ts';
import { keyYear } from './projection-store.ts';
import { escapeLike } from './incident-queries.ts';

function makeIncident(edit?: (doc: Y.Doc) => void) {
  const doc = new Y.Doc({ guid: '01900000-0000-7000-8000-0000000000aa' });
  createIncident(doc, { title: 'Data exfiltration via DNS', createdBy: 'alice', tags: ['dns', 'exfil'], severity: 'S2' });
  edit?.(doc);
  const r = readIncident(doc);
  if (!r) throw new Error('no incident');
  return { doc, ...r };
}

describe('toProjection', () => {
  it('maps the incident to rows with counts, phase and search text', () => {
    let deletedEntry = '';
    const { incident, problems } = makeIncident((doc) => {
      const e = addTimelineEntry(doc, { kind: 'note', author: 'bob', text: 'Saw TXT queries to evil.example' });
      const gone = addTimelineEntry(doc, { kind: 'note', author: 'bob', text: 'typo' });
      deletedEntry = gone.ok ? gone.value : '';
      updateTimelineEntry(doc, deletedEntry, { deleted: true });
      const t = addTask(doc, 'Block domain');
      addTask(doc, 'Rotate keys');
      setTaskDone(doc, t, true, 'bob');
      expect(e.ok).toBe(true);
    });
    const p = toProjection(incident.meta.id, incident, problems, 42);
    expect(p.incident).toMatchObject({
      status: 'new',
      phase: 'detection_analysis',
      severity: 'S2',
      open_tasks: 1,
      total_tasks: 2,
      timeline_count: 2,
      version: 42,
    });
    expect(p.timeline.map((e) => e.ord)).toEqual([0, 1, 2]);
    expect(p.timeline.find((e) => e.id === deletedEntry)?.deleted).toBe(true);
    expect(p.incident.search_text).toContain('data exfiltration via dns');
    expect(p.incident.search_text).toContain('exfil');
  });

  it('strips NUL bytes and keeps the first of duplicate ids', () => {
    const { incident, problems } = makeIncident();
    incident.meta.title = 'bad\u0000title';
    const entry = incident.timeline[0];
    if (!entry) throw new Error('no entry');
    incident.timeline.push({ ...entry, text: 'duplicate' });
    const p = toProjection(incident.meta.id, incident, problems, 1);
    expect(p.incident.title).toBe('badtitle');
    expect(p.timeline).toHaveLength(1);
  });

  it('replaces lone surrogates everywhere it writes, and deduplicates ids after cleaning', () => {
    const { incident, problems } = makeIncident((doc) => {
      addTimelineEntry(doc, { id: 'e\ud800', kind: 'field_change', author: 'eve\udc00', text: 'x', data: { field: 'assignee', from: null, to: 'eve\ud800' } });
      addTimelineEntry(doc, { id: 'e\udc00', kind: 'note', author: 'eve', text: 'same id once cleaned' });
    });
    incident.meta.assignee = 'eve\ud800';
    incident.meta.customFields = { ['k\udbff']: 'v\udfff' };
    const p = toProjection(incident.meta.id, incident, problems, 1);
    expect(p.incident.assigned_to).toBe('eve\uFFFD');
    expect(p.incident.custom_fields).toEqual({ 'k\uFFFD': 'v\uFFFD' });
    expect(p.timeline.filter((e) => e.id === 'e\uFFFD')).toHaveLength(1);
    expect(p.timeline.find((e) => e.id === 'e\uFFFD')?.data).toEqual({ field: 'assignee', from: null, to: 'eve\uFFFD' });
    expect(JSON.stringify(p)).not.toMatch(/\\ud[89a-f]/i);
  });
});

describe('helpers', () => {
  it('cleanJson drops prototype keys and NUL, keeps JSON', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": "x\\u0000y", "n": [1, 2, {"constructor": 1}]}');
    expect(cleanJson(hostile)).toEqual({ a: 'xy', n: [1, 2, {}] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('toDate refuses what Postgres cannot hold', () => {
    expect(toDate('0000-01-01T00:00:00Z')).toBeNull();
    expect(toDate('nonsense')).toBeNull();
    expect(toDate('2026-03-01T10:00:00+02:00')?.toISOString()).toBe('2026-03-01T08:00:00.000Z');
  });

  it('keyYear uses the creation year only when plausible', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(keyYear(new Date('2025-12-31T23:00:00Z'), now)).toBe(2025);
    expect(keyYear(new Date('1970-01-01T00:00:00Z'), now)).toBe(2026);
    expect(keyYear(new Date('2999-01-01T00:00:00Z'), now)).toBe(2026);
  });

  it('escapeLike makes wildcards literal', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
});

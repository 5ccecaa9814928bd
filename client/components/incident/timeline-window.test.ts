// @vitest-environment node
// The screen reads the timeline by reference (shared/incident-doc.ts `timelineOrder`) and only
// the entries it shows (`readWindow`): what it shows must be exactly what a full, validated read
// (`readTimeline`) would show, in the same order, whatever the stored order and content.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addTimelineEntry,
  checkTimelineRange,
  createIncident,
  entryText,
  observeTimeline,
  readTimeline,
  timelineLength,
  timelineOrder,
  timelineRefText,
  updateTimelineEntry,
} from '../../../shared/incident-doc.ts';
import { newId } from '../../../shared/ids.ts';
import { readWindow } from './timeline-window.ts';

function makeIncident(): Y.Doc {
  const doc = new Y.Doc({ guid: newId() });
  createIncident(doc, { title: 'Cold open', createdBy: 'alice', now: '2026-01-01T00:00:00.000Z' });
  return doc;
}

function add(doc: Y.Doc, at: string, text = at): string {
  const r = addTimelineEntry(doc, { kind: 'note', author: 'alice', at, text });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const texts = (entries: readonly { text: string }[]): string[] => entries.map((e) => e.text);

describe('timeline read by reference', () => {
  it('keeps the stored order when entries were written in event order, and reads the last ones', () => {
    const doc = makeIncident();
    for (let i = 1; i <= 250; i++) add(doc, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), `Entry ${i}`);
    const refs = timelineOrder(doc);
    expect(refs).toHaveLength(251);
    const { entries } = readWindow(refs, 100);
    expect(texts(entries)).toEqual(texts(readTimeline(doc).slice(-100)));
    expect(entries.at(-1)?.text).toBe('Entry 250');
    expect(entries[0]?.text).toBe('Entry 151');
  });

  it('orders entries written out of order (back-dated, other offsets, same instant) like the full read', () => {
    const doc = makeIncident();
    add(doc, '2026-03-01T10:00:00Z', 'ten');
    add(doc, '2026-03-01T09:00:00Z', 'nine, back-dated');
    add(doc, '2026-03-01T10:00:00.5Z', 'ten and a half');
    add(doc, '2026-03-01T11:30:00+02:00', 'offset');
    add(doc, '2026-03-01T10:00:00Z', 'ten again');
    add(doc, '2026-02-28T23:59:59.999Z', 'day before');
    const full = readTimeline(doc);
    expect(readWindow(timelineOrder(doc), 1_000).entries).toEqual(full);
    expect(texts(full).slice(0, 3)).toEqual(['Incident opened', 'day before', 'nine, back-dated']);
  });

  it('matches the full read for random stored orders', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const doc = makeIncident();
      for (let i = 0; i < 60; i++) {
        const ms = rand(5) === 0 ? `.${String(rand(1000)).padStart(3, '0')}` : '';
        add(doc, `2026-01-0${1 + rand(3)}T0${rand(10)}:${String(rand(60)).padStart(2, '0')}:00${ms}Z`);
      }
      expect(readWindow(timelineOrder(doc), 1_000).entries).toEqual(readTimeline(doc));
      expect(readWindow(timelineOrder(doc), 25).entries).toEqual(readTimeline(doc).slice(-25));
    }
  });

  it('leaves out what a hostile client wrote, as the full read does', () => {
    const doc = makeIncident();
    add(doc, '2026-01-01T01:00:00Z', 'good');
    const timeline = doc.getArray('timeline');
    timeline.push(['not a map']);
    const noKeys = new Y.Map<unknown>();
    noKeys.set('at', 42);
    timeline.push([noKeys]);
    const badKind = new Y.Map<unknown>();
    badKind.set('info', { id: 'x1', createdAt: '2026-01-01T00:00:00Z', author: 'mallory', kind: 'nonsense', data: null });
    badKind.set('at', '2026-01-01T02:00:00Z');
    timeline.push([badKind]);
    const badAt = new Y.Map<unknown>();
    badAt.set('info', { id: 'x2', createdAt: '2026-01-01T00:00:00Z', author: 'mallory', kind: 'note', data: null });
    badAt.set('at', 'yesterday');
    timeline.push([badAt]);
    add(doc, '2026-01-01T03:00:00Z', 'also good');
    const { entries } = readWindow(timelineOrder(doc), 100);
    expect(texts(entries)).toEqual(['Incident opened', 'good', 'also good']);
    expect(entries).toEqual(readTimeline(doc));
    // The problem list, checked in slices, names the same items as the full read.
    const full: string[] = [];
    readTimeline(doc, full);
    expect(full).toEqual(['timeline[2] is not a map', 'timeline[3] is invalid', 'timeline[4] is invalid', 'timeline[5] is invalid']);
    const sliced: string[] = [];
    for (let at = 0; at < timelineLength(doc); at += 2) checkTimelineRange(doc, at, at + 2, sliced);
    expect(sliced).toEqual(full);
  });

  it('counts deleted entries and follows remote edits', () => {
    const a = makeIncident();
    const b = new Y.Doc({ guid: a.guid });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    let changes = 0;
    const stop = observeTimeline(b, () => changes++);
    const id = add(a, '2026-01-01T05:00:00Z', 'remote note');
    updateTimelineEntry(a, id, { deleted: true });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    stop();
    expect(changes).toBeGreaterThan(0);
    const refs = timelineOrder(b);
    expect(refs.map((r) => r.deleted)).toEqual([false, true]);
    expect(readWindow(refs, 100).entries.at(-1)).toMatchObject({ text: 'remote note', deleted: true });
  });

  it('gives the co-edited text of an entry on screen, the same Y.Text as the lookup by id', () => {
    const doc = makeIncident();
    const id = add(doc, '2026-01-01T05:00:00Z', 'typed together');
    const { byId } = readWindow(timelineOrder(doc), 100);
    const text = timelineRefText(byId.get(id)!);
    expect(text).toBe(entryText(doc, id));
    text!.insert(text!.length, '!');
    expect(readTimeline(doc).at(-1)?.text).toBe('typed together!');
  });
});

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addAsset,
  addObservable,
  addTag,
  addTask,
  addTimelineEntry,
  createIncident,
  descriptionText,
  entryText,
  isIncidentDoc,
  readIncident,
  removeTag,
  setCustomField,
  setFields,
  setIncidentKey,
  setStatus,
  setTaskDone,
  updateTask,
  updateTimelineEntry,
  observeIncident,
  setBreach,
  setRelated,
  setRisk,
  setEntryEvidence,
  timelineEvidence,
  evidenceLinkers,
} from './incident-doc.ts';
import { newId, isUuidV7, INCIDENT_KEY_RE, formatIncidentKey } from './ids.ts';

function makeIncident(init: Partial<Parameters<typeof createIncident>[1]> = {}): Y.Doc {
  const doc = new Y.Doc({ guid: newId() });
  createIncident(doc, { title: 'Suspicious login', createdBy: 'alice', ...init });
  return doc;
}

/** Exchange full state both ways, like two devices after a reconnect. */
function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

function clone(doc: Y.Doc): Y.Doc {
  const c = new Y.Doc({ guid: doc.guid });
  Y.applyUpdate(c, Y.encodeStateAsUpdate(doc));
  return c;
}

describe('incident document accessors', () => {
  it('creates an incident readable as a validated object', () => {
    const doc = makeIncident({ severity: 'S1', tags: ['vip'] });
    const read = readIncident(doc);
    expect(read).not.toBeNull();
    expect(read!.problems).toEqual([]);
    const { meta, timeline, tasks } = read!.incident;
    expect(meta.id).toBe(doc.guid);
    expect(isUuidV7(meta.id)).toBe(true);
    expect(meta).toMatchObject({ title: 'Suspicious login', severity: 'S1', status: 'new', key: null, tags: ['vip'], createdBy: 'alice' });
    expect(meta.detectedAt).toBe(meta.createdAt);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]!.kind).toBe('system');
    expect(tasks).toEqual([]);
  });

  it('an empty document is not an incident', () => {
    expect(isIncidentDoc(new Y.Doc())).toBe(false);
    expect(readIncident(new Y.Doc())).toBeNull();
  });

  it('sets fields and records discrete changes in the timeline', () => {
    const doc = makeIncident();
    const r = setFields(doc, { severity: 'S2', title: 'Brute force on admin', assignee: 'bob' }, 'alice');
    expect(r.ok).toBe(true);
    const { meta, timeline } = readIncident(doc)!.incident;
    expect(meta.severity).toBe('S2');
    expect(meta.title).toBe('Brute force on admin');
    const changes = timeline.filter((e) => e.kind === 'field_change').map((e) => e.data);
    expect(changes).toContainEqual({ field: 'severity', from: 'S3', to: 'S2' });
    expect(changes).toContainEqual({ field: 'assignee', from: null, to: 'bob' });
  });

  it('refuses invalid field values and unknown fields, changing nothing', () => {
    const doc = makeIncident();
    const before = Y.encodeStateVector(doc);
    expect(setFields(doc, { severity: 'S9' as never }, 'alice').ok).toBe(false);
    expect(setFields(doc, { status: 'closed' } as never, 'alice').ok).toBe(false);
    expect(setFields(doc, { title: 'x'.repeat(301) }, 'alice').ok).toBe(false);
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('moves through the workflow, stamping milestones, and refuses a bad transition', () => {
    const doc = makeIncident();
    expect(setStatus(doc, 'triage', 'alice').ok).toBe(true);
    expect(setStatus(doc, 'containment', 'alice').ok).toBe(true);
    expect(setStatus(doc, 'eradication', 'alice').ok).toBe(true);
    const sv = Y.encodeStateVector(doc);
    const refused = setStatus(doc, 'new', 'alice');
    expect(refused.ok).toBe(false);
    expect(Y.encodeStateVector(doc)).toEqual(sv);
    const { meta, timeline } = readIncident(doc)!.incident;
    expect(meta.status).toBe('eradication');
    expect(meta.containedAt).not.toBeNull();
    expect(meta.resolvedAt).toBeNull();
    expect(timeline.filter((e) => e.kind === 'status_change').map((e) => e.data)).toEqual([
      { from: 'new', to: 'triage' },
      { from: 'triage', to: 'containment' },
      { from: 'containment', to: 'eradication' },
    ]);
  });

  it('adds notes whose text several people write in at once, and merges them', () => {
    const a = makeIncident();
    const id = addTimelineEntry(a, { kind: 'note', text: 'Host isolated.', author: 'alice' });
    expect(id.ok).toBe(true);
    if (!id.ok) return;
    const b = clone(a);
    entryText(a, id.value)!.insert(0, '[A] ');
    entryText(b, id.value)!.insert(entryText(b, id.value)!.length, ' [B]');
    sync(a, b);
    expect(entryText(a, id.value)!.toString()).toBe('[A] Host isolated. [B]');
    expect(readIncident(b)!.incident.timeline.find((e) => e.id === id.value)!.text).toBe('[A] Host isolated. [B]');
  });

  it('keeps concurrent offline edits from two devices: tags, tasks, notes and description', () => {
    const a = makeIncident({ description: 'Initial' });
    const b = clone(a);
    addTag(a, 'ransomware');
    addTag(b, 'lockbit');
    addTask(a, 'Isolate host');
    addTask(b, 'Reset credentials');
    addTimelineEntry(a, { kind: 'note', text: 'from A', author: 'alice' });
    addTimelineEntry(b, { kind: 'note', text: 'from B', author: 'bob' });
    descriptionText(a).insert(0, 'A: ');
    descriptionText(b).insert(descriptionText(b).length, ' :B');
    sync(a, b);
    const ra = readIncident(a)!.incident;
    const rb = readIncident(b)!.incident;
    expect(ra).toEqual(rb);
    expect(ra.meta.tags).toEqual(['lockbit', 'ransomware']);
    expect(ra.tasks.map((t) => t.title).sort()).toEqual(['Isolate host', 'Reset credentials']);
    expect(ra.timeline.map((e) => e.text)).toEqual(expect.arrayContaining(['from A', 'from B']));
    expect(ra.meta.description).toBe('A: Initial :B');
  });

  it('toggles, renames and soft-deletes tasks', () => {
    const doc = makeIncident();
    const t = addTask(doc, 'Collect memory image');
    expect(setTaskDone(doc, t, true, 'bob').ok).toBe(true);
    let task = readIncident(doc)!.incident.tasks[0]!;
    expect(task).toMatchObject({ done: true, doneBy: 'bob' });
    expect(task.doneAt).not.toBeNull();
    setTaskDone(doc, t, false, 'bob');
    updateTask(doc, t, { title: 'Collect memory image of WS-042', deleted: true });
    task = readIncident(doc)!.incident.tasks[0]!;
    expect(task).toMatchObject({ done: false, doneBy: null, title: 'Collect memory image of WS-042', deleted: true });
    expect(setTaskDone(doc, 'nope', true, 'bob').ok).toBe(false);
  });

  it('soft-deletes and re-times timeline entries, ordering by event time', () => {
    const doc = makeIncident();
    const late = addTimelineEntry(doc, { kind: 'note', text: 'late', author: 'a', at: '2030-01-01T00:00:00.000Z' });
    const early = addTimelineEntry(doc, { kind: 'note', text: 'early', author: 'a', at: '2000-01-01T00:00:00.000Z' });
    expect(late.ok && early.ok).toBe(true);
    if (!late.ok || !early.ok) return;
    let tl = readIncident(doc)!.incident.timeline;
    expect(tl[0]!.text).toBe('early');
    expect(tl.at(-1)!.text).toBe('late');
    updateTimelineEntry(doc, early.value, { deleted: true, at: '2031-01-01T00:00:00.000Z' });
    tl = readIncident(doc)!.incident.timeline;
    expect(tl.at(-1)).toMatchObject({ text: 'early', deleted: true });
    expect(addTimelineEntry(doc, { kind: 'note', author: 'a', at: 'yesterday' }).ok).toBe(false);
    expect(updateTimelineEntry(doc, 'missing', { deleted: true }).ok).toBe(false);
  });

  it('links evidence to timeline entries as a set that merges across devices, and unlinks', () => {
    const a = makeIncident();
    const note = addTimelineEntry(a, { kind: 'note', text: 'lateral movement from ws-042', author: 'alice' });
    if (!note.ok) throw new Error(note.error);
    const b = clone(a);
    // Offline on both devices: each links a different item.
    expect(setEntryEvidence(a, note.value, 'ev-memory', true).ok).toBe(true);
    expect(setEntryEvidence(b, note.value, 'ev-pcap', true).ok).toBe(true);
    sync(a, b);
    const entryOf = (doc: Y.Doc) => readIncident(doc)!.incident.timeline.find((e) => e.id === note.value)!;
    expect(entryOf(a).evidence).toEqual(['ev-memory', 'ev-pcap']);
    expect(entryOf(b).evidence).toEqual(['ev-memory', 'ev-pcap']);
    // Linking twice is a no-op; unlinking removes only that item.
    expect(setEntryEvidence(a, note.value, 'ev-memory', true).ok).toBe(true);
    expect(setEntryEvidence(a, note.value, 'ev-pcap', false).ok).toBe(true);
    expect(entryOf(a).evidence).toEqual(['ev-memory']);
    // Entries without links read as none; bad input changes nothing.
    const other = addTimelineEntry(a, { kind: 'note', text: 'no links', author: 'alice' });
    expect(other.ok && readIncident(a)!.incident.timeline.find((e) => e.id === other.value)?.evidence).toEqual([]);
    expect(setEntryEvidence(a, 'missing', 'ev-memory', true)).toEqual({ ok: false, error: 'no timeline entry missing' });
    expect(setEntryEvidence(a, note.value, 'x'.repeat(65), true).ok).toBe(false);
    expect(setEntryEvidence(a, note.value, '', true).ok).toBe(false);
    expect(entryOf(a).evidence).toEqual(['ev-memory']);
    // What can be linked: the items the server recorded in the timeline, named by file.
    addTimelineEntry(a, { kind: 'evidence', text: 'Evidence added: mem.raw', author: 'server', data: { evidence_id: 'ev-memory', file_name: 'mem.raw' } });
    addTimelineEntry(a, { kind: 'evidence', text: 'Evidence added: capture.pcap', author: 'server', data: { evidence_id: 'ev-pcap' } });
    // An evidence entry without its item's id is refused by the writer (and ignored if a device wrote one).
    expect(addTimelineEntry(a, { kind: 'evidence', text: 'no id', author: 'server', data: {} as never }).ok).toBe(false);
    expect(timelineEvidence(a).map(({ id, name }) => ({ id, name }))).toEqual([
      { id: 'ev-memory', name: 'mem.raw' },
      { id: 'ev-pcap', name: 'capture.pcap' },
    ]);
    // The other way round: which notes link an item (deleted notes do not count).
    const third = addTimelineEntry(a, { kind: 'note', text: 'pcap   shows\nthe beacon', author: 'bob' });
    if (!third.ok) throw new Error(third.error);
    setEntryEvidence(a, third.value, 'ev-memory', true);
    expect(
      evidenceLinkers(a)
        .get('ev-memory')
        ?.map((l) => [l.entryId, l.excerpt]),
    ).toEqual([
      [note.value, 'lateral movement from ws-042'],
      [third.value, 'pcap shows the beacon'],
    ]);
    updateTimelineEntry(a, third.value, { deleted: true });
    expect(
      evidenceLinkers(a)
        .get('ev-memory')
        ?.map((l) => l.entryId),
    ).toEqual([note.value]);
    expect(evidenceLinkers(a).has('ev-pcap')).toBe(false);
    for (let i = 1; i < 100; i++) expect(setEntryEvidence(a, note.value, `ev-${i}`, true).ok).toBe(true);
    expect(setEntryEvidence(a, note.value, 'ev-one-too-many', true)).toEqual({ ok: false, error: 'at most 100 evidence items per timeline entry' });
  });

  it('reads hostile evidence links defensively: a link holding anything but true, or an overlong id, is no link and the entry stays', () => {
    const doc = makeIncident();
    const note = addTimelineEntry(doc, { kind: 'note', text: 'x', author: 'a' });
    if (!note.ok) throw new Error(note.error);
    const y = doc
      .getArray<Y.Map<unknown>>('timeline')
      .toArray()
      .find((m) => (m.get('info') as { id: string }).id === note.value)!;
    y.set('evidence:ev-1', { $ne: 1 });
    y.set('evidence:ev-2', true);
    expect(readIncident(doc)!.incident.timeline.find((e) => e.id === note.value)?.evidence).toEqual(['ev-2']);
    y.set(`evidence:${'x'.repeat(65)}`, true);
    y.set('evidence:', true);
    const read = readIncident(doc)!;
    expect(read.incident.timeline.find((e) => e.id === note.value)).toMatchObject({ text: 'x', evidence: ['ev-2'] });
    expect(read.problems).toEqual([]);
  });

  it('stores assets, observables, custom fields and the server key', () => {
    const doc = makeIncident();
    addAsset(doc, 'dc01.corp.example');
    expect(addObservable(doc, { kind: 'ip', value: '203.0.113.7' }).ok).toBe(true);
    expect(addObservable(doc, { kind: 'bogus' as never, value: 'x' }).ok).toBe(false);
    expect(setCustomField(doc, 'ticket', 'INC-1').ok).toBe(true);
    expect(setCustomField(doc, '__proto__', 'x').ok).toBe(false);
    addTag(doc, 'temp');
    removeTag(doc, 'temp');
    setIncidentKey(doc, formatIncidentKey(2026, 42));
    const { meta } = readIncident(doc)!.incident;
    expect(meta.assets).toEqual(['dc01.corp.example']);
    expect(meta.observables).toEqual([{ kind: 'ip', value: '203.0.113.7' }]);
    expect(meta.customFields).toEqual({ ticket: 'INC-1' });
    expect(meta.tags).toEqual([]);
    expect(meta.key).toBe('IR-2026-0042');
    expect(INCIDENT_KEY_RE.test(meta.key!)).toBe(true);
  });

  it('reads a document written by a hostile client defensively', () => {
    const doc = makeIncident();
    const meta = doc.getMap('meta');
    meta.set('severity', 'S0');
    meta.set('status', { $ne: 1 });
    meta.set('title', 42);
    doc.getArray('timeline').push(['not a map']);
    const read = readIncident(doc)!;
    expect(read.incident.meta.severity).toBe('S3');
    expect(read.incident.meta.status).toBe('new');
    expect(read.incident.meta.title).toBe('(untitled)');
    expect(read.incident.timeline).toHaveLength(1);
    expect(read.problems).toEqual(expect.arrayContaining(['meta.severity is invalid', 'meta.status is invalid', 'timeline[1] is not a map']));
  });

  it('notifies observers of local and remote changes', () => {
    const a = makeIncident();
    const b = clone(a);
    let calls = 0;
    const stop = observeIncident(b, () => calls++);
    addTask(a, 'x');
    sync(a, b);
    expect(calls).toBeGreaterThan(0);
    stop();
    const before = calls;
    addTask(b, 'y');
    expect(calls).toBe(before);
  });

  it('links related incidents, records the risk explanation and the breach clock', () => {
    const doc = makeIncident({ assets: ['fs01'], observables: [{ kind: 'ip', value: '198.51.100.9' }], templateId: 'ransomware' });
    const other = newId();
    expect(setRelated(doc, other, true).ok).toBe(true);
    expect(setRelated(doc, 'not-a-uuid', true).ok).toBe(false);
    expect(setRelated(doc, doc.guid, true).ok).toBe(false);
    const risk = { score: 82, severity: 'S1' as const, model: 'v1', factors: [{ factor: 'impact', points: 30, detail: 'high impact' }] };
    expect(setRisk(doc, risk).ok).toBe(true);
    expect(setRisk(doc, { ...risk, score: 140 }).ok).toBe(false);
    expect(setBreach(doc, { regulation: 'gdpr', awareAt: '2026-11-20T10:00:00.000Z' }, 'dana').ok).toBe(true);
    expect(setBreach(doc, { regulation: 'gdpr', awareAt: 'soon' }, 'dana').ok).toBe(false);
    const { meta, timeline } = readIncident(doc)!.incident;
    expect(meta).toMatchObject({
      relatedIncidents: [other],
      risk,
      breach: { regulation: 'gdpr', awareAt: '2026-11-20T10:00:00.000Z' },
      templateId: 'ransomware',
      assets: ['fs01'],
    });
    expect(meta.observables).toEqual([{ kind: 'ip', value: '198.51.100.9' }]);
    expect(timeline.some((e) => e.kind === 'field_change' && e.data?.['field'] === 'breach')).toBe(true);
    setRelated(doc, other, false);
    expect(readIncident(doc)!.incident.meta.relatedIncidents).toEqual([]);
  });
});

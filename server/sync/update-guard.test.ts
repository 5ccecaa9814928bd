// @vitest-environment node
/**
 * The rules of shared/incident-guard.ts as the document manager enforces them on devices'
 * updates: erasing what they protect is written back in the same update (so other peers never
 * see the erasure and the sender converges), a store reload keeps the restored content, and
 * what people may do (co-write notes, delete their own, leads moderating, links) still goes
 * through untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import {
  addObservable,
  addTask,
  addTimelineEntry,
  createIncident,
  entryText,
  readMeta,
  readTasks,
  readTimeline,
  SERVER_ORIGIN,
  markEntryEdited,
  recordRunChanges,
  runEntryId,
  setEntryEvidence,
  updateTimelineEntry,
} from '../../shared/incident-doc.ts';
import { entriesByAuthor, GUARD_LIMITS, type Editor } from '../../shared/incident-guard.ts';
import { newId } from '../../shared/ids.ts';
import { createLogger } from '../logger.ts';
import { createDocumentManager } from './document-manager.ts';
import { waitFor } from '../testing/wait-for.ts';
import type { DocHandle, DocPeer, DocumentManager } from './document-types.ts';
import { createMemoryDocumentStore } from './memory-document-store.ts';
import { MESSAGE } from './protocol.ts';

const logger = createLogger({ level: 'silent' });
const managers: DocumentManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

const guest: Editor = { name: 'Guest G', moderator: false };
const lead: Editor = { name: 'Lead L', moderator: true };

function peer(): DocPeer & { doc: Y.Doc } {
  const doc = new Y.Doc();
  return {
    doc,
    send(m: Uint8Array) {
      const d = decoding.createDecoder(m);
      if (decoding.readVarUint(d) !== MESSAGE.sync) return;
      decoding.readVarUint(d);
      Y.applyUpdate(doc, decoding.readVarUint8Array(d));
    },
    close() {},
  };
}

/** A server with one incident (an alert entry, a guest's note, an analyst's note, a task, an observable) and two devices. */
async function setup(): Promise<{
  handle: DocHandle;
  device: DocPeer & { doc: Y.Doc };
  other: DocPeer & { doc: Y.Doc };
  ids: { alert: string; guestNote: string; analystNote: string; task: string };
  store: ReturnType<typeof createMemoryDocumentStore>;
  id: string;
}> {
  const store = createMemoryDocumentStore();
  const m = createDocumentManager({ store, logger, lingerMs: 60_000 });
  managers.push(m);
  const id = newId();
  const handle = await m.open(id);
  const ids = { alert: '', guestNote: '', analystNote: '', task: '' };
  handle.doc.transact(() => {
    createIncident(handle.doc, { title: 'Guarded', createdBy: 'Analyst A', description: 'what happened' });
    ids.alert = (
      addTimelineEntry(handle.doc, { kind: 'alert', text: 'EDR: beacon', author: 'alert:edr', data: { alert_id: 'a1' } }) as { value: string }
    ).value;
    ids.guestNote = (addTimelineEntry(handle.doc, { kind: 'note', text: 'my note', author: guest.name }) as { value: string }).value;
    ids.analystNote = (addTimelineEntry(handle.doc, { kind: 'note', text: 'analyst note', author: 'Analyst A' }) as { value: string }).value;
    ids.task = addTask(handle.doc, 'Isolate host');
    addObservable(handle.doc, { kind: 'ip', value: '203.0.113.7' });
  }, SERVER_ORIGIN);
  const device = peer();
  const other = peer();
  for (const p of [device, other]) {
    Y.applyUpdate(p.doc, Y.encodeStateAsUpdate(handle.doc));
    handle.addPeer(p);
  }
  return { handle, device, other, ids, store, id };
}

/** What `edit` does on the device, as one update sent to the server under `editor`. */
function send(s: { handle: DocHandle; device: DocPeer & { doc: Y.Doc } }, editor: Editor, edit: (doc: Y.Doc) => void): { corrected: string | null } {
  const updates: Uint8Array[] = [];
  const on = (u: Uint8Array): void => void updates.push(u);
  s.device.doc.on('update', on);
  s.device.doc.transact(() => edit(s.device.doc));
  s.device.doc.off('update', on);
  const r = s.handle.applyUpdate(Y.mergeUpdates(updates), s.device, { actor: { kind: 'user', id: null, name: editor.name }, editor });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('update guard', () => {
  it('SY7, SY8, SY11: puts back timeline entries and tasks a device removed, for every peer, with an entry saying so', async () => {
    const s = await setup();
    const r = send(s, guest, (doc) => {
      doc.getArray('timeline').delete(0, doc.getArray('timeline').length);
      doc.getArray('tasks').delete(0, 1);
    });
    expect(r.corrected).toMatch(/4 timeline entries removed, 1 task removed/); // the three above and the incident's first entry
    for (const doc of [s.handle.doc, s.device.doc, s.other.doc]) {
      const tl = readTimeline(doc);
      expect(tl.map((e) => e.text)).toEqual(expect.arrayContaining(['EDR: beacon', 'my note', 'analyst note']));
      expect(tl.find((e) => e.kind === 'alert')?.data).toMatchObject({ alert_id: 'a1' });
      expect(tl.at(-1)?.text).toMatch(/Restored what an update from Guest G erased/);
      expect(readTasks(doc).map((t) => t.title)).toEqual(['Isolate host']);
    }
    // The same ids, in the same order: links and the projection keep pointing at them.
    expect(
      readTimeline(s.handle.doc)
        .slice(1, 4)
        .map((e) => e.id),
    ).toEqual([s.ids.alert, s.ids.guestNote, s.ids.analystNote]);
    // A store reload (what compaction keeps) has them too.
    const reloaded = new Y.Doc();
    await managers[0]?.flush();
    const stored = await s.store.loadSince(s.id, 0);
    for (const u of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) Y.applyUpdate(reloaded, u);
    expect(
      readTimeline(reloaded)
        .slice(1, 4)
        .map((e) => e.text),
    ).toEqual(['EDR: beacon', 'my note', 'analyst note']);
  });

  it('SY9: keeps a server-written entry as written: text, time and deletion are put back', async () => {
    const s = await setup();
    const r = send(s, guest, (doc) => {
      entryText(doc, s.ids.alert)?.insert(0, 'FALSE POSITIVE ');
      updateTimelineEntry(doc, s.ids.alert, { at: '2020-01-01T00:00:00.000Z', deleted: true });
    });
    expect(r.corrected).not.toBeNull();
    for (const doc of [s.handle.doc, s.device.doc, s.other.doc]) {
      const alert = readTimeline(doc).find((e) => e.id === s.ids.alert);
      expect(alert).toMatchObject({ text: 'EDR: beacon', deleted: false });
      expect(alert?.at).not.toBe('2020-01-01T00:00:00.000Z');
    }
  });

  it("SY9: refuses a rewrite of an entry's author, kind or data", async () => {
    const s = await setup();
    send(s, lead, (doc) => {
      const y = doc.getArray<Y.Map<unknown>>('timeline').get(1);
      y.set('info', { id: s.ids.alert, createdAt: '2026-01-01T00:00:00.000Z', author: 'someone else', kind: 'note', data: null });
    });
    expect(readTimeline(s.handle.doc)[1]).toMatchObject({ id: s.ids.alert, author: 'alert:edr', kind: 'alert' });
    expect(readTimeline(s.device.doc)[1]).toMatchObject({ author: 'alert:edr', kind: 'alert' });
  });

  it("SY10: lets people co-write any note, delete their own, and leads delete anyone's; links come and go", async () => {
    const s = await setup();
    expect(
      send(s, guest, (doc) => {
        entryText(doc, s.ids.analystNote)?.insert(0, 'co-written: ');
        updateTimelineEntry(doc, s.ids.guestNote, { deleted: true });
        setEntryEvidence(doc, s.ids.alert, newId(), true);
      }).corrected,
    ).toBeNull();
    const tl = readTimeline(s.handle.doc);
    expect(tl.find((e) => e.id === s.ids.analystNote)?.text).toBe('co-written: analyst note');
    expect(tl.find((e) => e.id === s.ids.guestNote)?.deleted).toBe(true);
    // Someone else's note: not for a guest, fine for a lead.
    expect(send(s, guest, (doc) => updateTimelineEntry(doc, s.ids.analystNote, { deleted: true })).corrected).not.toBeNull();
    expect(readTimeline(s.handle.doc).find((e) => e.id === s.ids.analystNote)?.deleted).toBe(false);
    expect(send(s, lead, (doc) => updateTimelineEntry(doc, s.ids.analystNote, { deleted: true })).corrected).toBeNull();
    expect(readTimeline(s.handle.doc).find((e) => e.id === s.ids.analystNote)?.deleted).toBe(true);
  });

  it("SY10: records who edited, moved and deleted a note, and when; a name other than the sender's is written back as the sender", async () => {
    const s = await setup();
    expect(send(s, guest, (doc) => markEntryEdited(doc, s.ids.analystNote, guest.name)).corrected).toBeNull();
    expect(readTimeline(s.handle.doc).find((e) => e.id === s.ids.analystNote)).toMatchObject({ editedBy: guest.name, deletedBy: null });
    // A guest who claims a lead made the change is named as themself.
    expect(send(s, guest, (doc) => markEntryEdited(doc, s.ids.analystNote, lead.name)).corrected).not.toBeNull();
    expect(readTimeline(s.handle.doc).find((e) => e.id === s.ids.analystNote)?.editedBy).toBe(guest.name);
    // A lead moves it in time (recorded as a field change) and deletes it: who and when are kept.
    send(s, lead, (doc) => updateTimelineEntry(doc, s.ids.analystNote, { at: '2026-01-01T09:00:00.000Z', by: lead.name, reason: 'from the EDR log' }));
    send(s, lead, (doc) => updateTimelineEntry(doc, s.ids.analystNote, { deleted: true, by: lead.name }));
    const tl = readTimeline(s.handle.doc);
    const note = tl.find((e) => e.id === s.ids.analystNote);
    expect(note).toMatchObject({ deleted: true, deletedBy: lead.name, editedBy: lead.name, at: '2026-01-01T09:00:00.000Z' });
    expect(Date.parse(note!.deletedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(tl.find((e) => e.kind === 'field_change' && e.data?.['field'] === 'entry_time')).toMatchObject({
      author: lead.name,
      text: 'from the EDR log',
      data: { entry_id: s.ids.analystNote, to: '2026-01-01T09:00:00.000Z' },
    });
  });

  it("SY9: keeps a playbook run's entry as the server wrote it: a device cannot add, change or remove its steps", async () => {
    const s = await setup();
    const runId = newId();
    recordRunChanges(s.handle.doc, runId, [
      { stepId: null, state: 'running', text: 'Playbook P: run running', author: 'system', data: { run_id: runId } },
      { stepId: 'contain', state: 'failed', text: 'Playbook P: step contain failed: connector not configured', author: 'system', data: { run_id: runId } },
    ]);
    const runEntry = (doc: Y.Doc) => readTimeline(doc).find((e) => e.id === runEntryId(runId));
    expect(runEntry(s.device.doc)?.data?.['steps']).toHaveLength(1);
    const r = send(s, lead, (doc) => {
      const y = doc
        .getArray<Y.Map<unknown>>('timeline')
        .toArray()
        .find((m) => (m.get('info') as { id: string }).id === runEntryId(runId))!;
      y.set('step:contain', { step_id: 'contain', state: 'succeeded', text: 'all good', at: '2026-01-01T00:00:00.000Z', history: [] });
      y.set('step:forged', { step_id: 'forged', state: 'succeeded', text: 'forged', at: '2026-01-01T00:00:00.000Z', history: [] });
    });
    expect(r.corrected).not.toBeNull();
    for (const doc of [s.handle.doc, s.device.doc, s.other.doc]) {
      const steps = runEntry(doc)?.data?.['steps'] as { step_id: string; state: string }[];
      expect(steps.map((x) => [x.step_id, x.state])).toEqual([['contain', 'failed']]);
    }
  });

  it('SY8: puts back a collection replaced wholesale, and lets single observables go', async () => {
    const s = await setup();
    send(s, guest, (doc) => {
      doc.getMap('meta').set('observables', new Y.Map());
      doc.getMap('meta').set('description', 'gone');
    });
    expect(readMeta(s.handle.doc).observables).toEqual([{ kind: 'ip', value: '203.0.113.7' }]);
    expect(readMeta(s.handle.doc).description).toBe('what happened');
    expect(readMeta(s.device.doc).description).toBe('what happened');
    expect(send(s, guest, (doc) => (doc.getMap('meta').get('observables') as Y.Map<unknown>).delete('ip:203.0.113.7')).corrected).toBeNull();
    expect(readMeta(s.handle.doc).observables).toEqual([]);
  });

  it('SY3: refuses an update that adds more entries than one update may, before it applies', async () => {
    const s = await setup();
    const updates: Uint8Array[] = [];
    s.device.doc.on('update', (u: Uint8Array) => void updates.push(u));
    s.device.doc.transact(() => {
      for (let i = 0; i <= GUARD_LIMITS.entriesPerUpdate; i++) addTimelineEntry(s.device.doc, { kind: 'note', text: `flood ${i}`, author: guest.name });
    });
    const r = s.handle.applyUpdate(Y.mergeUpdates(updates), s.device, { editor: guest });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/at most 1000 may come in one update/);
    expect(readTimeline(s.handle.doc)).toHaveLength(4);
    expect(readTimeline(s.other.doc)).toHaveLength(4);
  });
});

describe('entries per author', () => {
  /** Send `edit` from the device and return the manager's answer (refusals included). */
  const tryUpdate = (s: Awaited<ReturnType<typeof setup>>, editor: Editor, edit: (doc: Y.Doc) => void) => {
    const updates: Uint8Array[] = [];
    const on = (u: Uint8Array): void => void updates.push(u);
    s.device.doc.on('update', on);
    s.device.doc.transact(() => edit(s.device.doc));
    s.device.doc.off('update', on);
    return s.handle.applyUpdate(Y.mergeUpdates(updates), s.device, { editor });
  };

  it('SY3: one author at the per-author limit is refused a new entry, while another still adds notes and what was written stays', async () => {
    const s = await setup();
    const analyst: Editor = { name: 'Analyst A', moderator: false };
    s.handle.doc.transact(() => {
      for (let i = entriesByAuthor(s.handle.doc, guest.name); i < GUARD_LIMITS.entriesPerAuthor; i++)
        addTimelineEntry(s.handle.doc, { kind: 'note', text: `mine ${i}`, author: guest.name });
    }, SERVER_ORIGIN);
    expect(entriesByAuthor(s.handle.doc, guest.name)).toBe(GUARD_LIMITS.entriesPerAuthor);
    const total = readTimeline(s.handle.doc).length;

    const refused = tryUpdate(s, guest, (doc) => void addTimelineEntry(doc, { kind: 'note', text: 'one more', author: guest.name }));
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.error).toMatch(/Guest G has written 10000 .* up to 10000 \(others still can\)/);
    expect(readTimeline(s.handle.doc)).toHaveLength(total);

    // Another person on the same incident is not held back by the first one's entries.
    const device2 = peer();
    Y.applyUpdate(device2.doc, Y.encodeStateAsUpdate(s.handle.doc));
    const ups: Uint8Array[] = [];
    device2.doc.on('update', (u: Uint8Array) => void ups.push(u));
    addTimelineEntry(device2.doc, { kind: 'note', text: 'analyst goes on', author: analyst.name });
    const ok = s.handle.applyUpdate(Y.mergeUpdates(ups), device2, { editor: analyst });
    expect(ok.ok).toBe(true);
    expect(readTimeline(s.handle.doc).at(-1)?.text).toBe('analyst goes on');
  });

  it('SY3: a new entry written in another name names its sender (the limit counts by it); its text stays', async () => {
    const s = await setup();
    const before = readTimeline(s.handle.doc).length;
    send(s, guest, (doc) => void addTimelineEntry(doc, { kind: 'note', text: 'signed as the CISO', author: 'CISO' }));
    // The sender's copy and every other peer's converge on the stamped author; no guard note is added.
    for (const doc of [s.handle.doc, s.device.doc, s.other.doc]) {
      const note = readTimeline(doc).find((e) => e.text === 'signed as the CISO');
      expect(note?.author).toBe(guest.name);
      expect(readTimeline(doc)).toHaveLength(before + 1);
    }
    expect(entriesByAuthor(s.handle.doc, 'CISO')).toBe(0);
  });
});

describe('accepted updates that cannot be stored', () => {
  it("SY13: refuses devices' updates while the store is away (they keep their edits), and takes them again once it is back", async () => {
    const inner = createMemoryDocumentStore();
    let away = true;
    const store = {
      ...inner,
      append: (items: Parameters<typeof inner.append>[0]) => (away ? Promise.reject(new Error('database away')) : inner.append(items)),
    };
    const m = createDocumentManager({ store, logger, lingerMs: 60_000, maxUnstoredMs: 50 });
    managers.push(m);
    const handle = await m.open(newId());
    createIncident(handle.doc, { title: 'Offline database', createdBy: 'A' }, SERVER_ORIGIN);
    const device = new Y.Doc();
    Y.applyUpdate(device, Y.encodeStateAsUpdate(handle.doc));
    const edit = (): Uint8Array => {
      const ups: Uint8Array[] = [];
      const on = (u: Uint8Array): void => void ups.push(u);
      device.on('update', on);
      addTimelineEntry(device, { kind: 'note', text: 'written while the database is away', author: 'A' });
      device.off('update', on);
      return Y.mergeUpdates(ups);
    };
    const editor = { name: 'A', moderator: false };
    await waitFor(() => m.busy(), { message: 'the backlog to pass its bound' });
    const refused = handle.applyUpdate(edit(), 'device', { editor });
    expect(refused).toMatchObject({ ok: false, refusal: 'unavailable' });
    expect(readTimeline(handle.doc).some((e) => e.text === 'written while the database is away')).toBe(false);
    away = false;
    await waitFor(() => m.busy() === null, { timeoutMs: 15_000, message: 'the backlog to be stored' });
    // The device sends what the server lacks again (y-websocket's sync step 2 on reconnect).
    expect(handle.applyUpdate(Y.encodeStateAsUpdate(device, Y.encodeStateVector(handle.doc)), 'device', { editor }).ok).toBe(true);
    expect(readTimeline(handle.doc).some((e) => e.text === 'written while the database is away')).toBe(true);
  });
});

describe('a write waiting for its update to be stored', () => {
  it('SY14: is answered while the same document keeps receiving edits', async () => {
    const inner = createMemoryDocumentStore();
    // A store that takes a while per append, so edits always arrive during one.
    const store = { ...inner, append: async (items: Parameters<typeof inner.append>[0]) => (await new Promise((r) => setTimeout(r, 10)), inner.append(items)) };
    const m = createDocumentManager({ store, logger, lingerMs: 60_000, flushDelayMs: 1 });
    managers.push(m);
    const handle = await m.open(newId());
    createIncident(handle.doc, { title: 'Busy', createdBy: 'A' }, SERVER_ORIGIN);
    let typing = true;
    const typist = (async () => {
      for (let i = 0; typing; i++) {
        addTimelineEntry(handle.doc, { kind: 'note', text: `keystroke ${i}`, author: 'A' }, SERVER_ORIGIN);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let stored = false;
    void m.flushDoc(handle.id).then(() => (stored = true));
    try {
      await waitFor(() => stored, { timeoutMs: 5_000, message: 'flushDoc to resolve while edits continue' });
    } finally {
      typing = false;
      await typist;
    }
  });
});

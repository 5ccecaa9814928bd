// @vitest-environment node
/**
 * The probe's erasure over the real server: a read-write guest removes the whole timeline
 * (server-written alert entries included), the tasks and the observables over /sync. The server
 * writes everything back in the same update, the guest's own copy converges on it, other
 * devices never lose it, and after compaction and a reload from Postgres it is all still there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readMeta, readTasks, readTimeline } from '../../shared/incident-doc.ts';
import { connectClient, startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.stop();
});

describe('a writer erasing an incident over /sync', () => {
  it('SY7, SY8, SY18: is corrected for everyone and survives compaction', async () => {
    const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Ransomware on FS01', severity: 'S2', template: 'ransomware' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await ts.fetch(`/api/v1/incidents/${id}/events`, { method: 'POST', json: { kind: 'note', text: 'Lead: isolate FS01 first' } })).status).toBe(201);
    await ts.server.docs.withDoc(id, () => undefined);
    const guest = await ts.as('guest', { grants: { [id]: 'write' } });
    const watcher = connectClient(ts.wsUrl, id, { as: ts.admin });
    const hostile = connectClient(ts.wsUrl, id, { as: guest });
    await Promise.all([watcher.synced(), hostile.synced()]);
    const before = readTimeline(watcher.doc).map((e) => e.id);
    const tasksBefore = readTasks(watcher.doc).length;
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(tasksBefore).toBeGreaterThan(0);

    hostile.doc.transact(() => {
      hostile.doc.getArray('timeline').delete(0, hostile.doc.getArray('timeline').length);
      hostile.doc.getArray('tasks').delete(0, hostile.doc.getArray('tasks').length);
      hostile.doc.getMap('meta').set('observables', new Y.Map());
    });
    // The guest's own copy converges on the correction; the watcher never loses anything.
    await waitFor(() => readTimeline(hostile.doc).some((e) => /Restored what an update from/.test(e.text)), { message: 'the correction to reach the sender' });
    for (const c of [hostile, watcher]) {
      await waitFor(() => readTimeline(c.doc).some((e) => /Restored what an update from/.test(e.text)), { message: 'the correction entry' });
      const ids = readTimeline(c.doc).map((e) => e.id);
      expect(before.every((e) => ids.includes(e))).toBe(true);
      expect(readTasks(c.doc)).toHaveLength(tasksBefore);
    }
    await ts.server.docs.flush();
    await ts.server.docs.compact(id);
    await ts.server.projector.project(id);
    const timeline = (await (await ts.fetch(`/api/v1/incidents/${id}/timeline`)).json()) as { items: { id: string }[] };
    const stored = timeline.items.map((e) => e.id);
    expect(before.every((e) => stored.includes(e))).toBe(true);
    expect(readMeta(watcher.doc).title).toBe('Ransomware on FS01');
    watcher.destroy();
    hostile.destroy();
  });
});

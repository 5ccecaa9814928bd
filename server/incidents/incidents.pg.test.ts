// @vitest-environment node
/**
 * The projection and the incidents API against Postgres: rows follow the documents, keys are
 * unique and written back, list filters/sort/pagination, errors naming the bad parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { incidentDetailResponse, listIncidentsResponse, timelineResponse } from '../../shared/api.ts';
import {
  addTask,
  addTimelineEntry,
  createIncident,
  readIncident,
  readMeta,
  setStatus,
  setTaskDone,
  updateTimelineEntry,
  type NewIncident,
} from '../../shared/incident-doc.ts';
import { INCIDENT_KEY_RE, newId } from '../../shared/ids.ts';
import type { Severity } from '../../shared/incident-schema.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';

let db: TestDatabase;
let ts: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  ts = await startTestServer({ db });
});
afterAll(async () => {
  await ts.stop();
  await db.drop();
});

/** Make an incident the way a device would, and push it through the manager. */
async function makeIncident(init: Partial<NewIncident> & { edit?: (doc: Y.Doc) => void } = {}): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Untitled', createdBy: 'tester', ...init });
  init.edit?.(doc);
  await ts.server.docs.withDoc(id, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  return id;
}

async function api(path: string): Promise<{ status: number; body: unknown }> {
  const r = await ts.fetch(`/api/v1${path}`);
  return { status: r.status, body: await r.json() };
}

describe('projection', () => {
  it('projects a document into rows and assigns a unique key written back into the document', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => makeIncident({ title: `Key test ${i}` })));
    await ts.server.projector.flush();
    const rows = await db.sql<{ id: string; key: string }[]>`SELECT id::text, key FROM incidents WHERE id = ANY(${ids}::uuid[])`;
    expect(rows).toHaveLength(12);
    const keys = rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(12);
    for (const k of keys) expect(k).toMatch(INCIDENT_KEY_RE);
    expect(keys.every((k) => k.startsWith(`IR-${new Date().getUTCFullYear()}-`))).toBe(true);
    for (const r of rows) {
      const key = await ts.server.docs.withDoc(r.id, (doc) => readMeta(doc).key);
      expect(key).toBe(r.key);
    }
  });

  it('keeps the key when the document is projected again, and rebuildAll reproduces the rows', async () => {
    const id = await makeIncident({
      title: 'Rebuild me',
      edit(doc) {
        addTimelineEntry(doc, { kind: 'note', author: 'a', text: 'first' });
        addTask(doc, 'Collect logs');
      },
    });
    await ts.server.projector.flush();
    const snapshot = async () => ({
      incident: (await db.sql`SELECT * FROM incidents WHERE id = ${id}`).map(({ projected_at: _p, ...r }) => r),
      timeline: await db.sql`SELECT * FROM timeline_entries WHERE incident_id = ${id} ORDER BY ord`,
      tasks: await db.sql`SELECT * FROM tasks WHERE incident_id = ${id} ORDER BY ord`,
    });
    const before = await snapshot();
    await db.sql`DELETE FROM incidents WHERE id = ${id}`;
    const n = await ts.server.projector.rebuildAll();
    expect(n).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });

  it('follows edits: status, tasks, soft-deleted entries', async () => {
    let entryId = '';
    let taskId = '';
    const id = await makeIncident({
      title: 'Follow edits',
      edit(doc) {
        const r = addTimelineEntry(doc, { kind: 'note', author: 'a', text: 'to delete' });
        entryId = r.ok ? r.value : '';
        taskId = addTask(doc, 'Reset passwords');
        addTask(doc, 'Notify DPO');
      },
    });
    await ts.server.docs.withDoc(id, (doc) => {
      setStatus(doc, 'triage', 'lead');
      setTaskDone(doc, taskId, true, 'lead');
      updateTimelineEntry(doc, entryId, { deleted: true, by: 'Lead L' });
    });
    await ts.server.projector.flush();
    const detail = incidentDetailResponse.parse((await api(`/incidents/${id}`)).body);
    expect(detail.status).toBe('triage');
    expect(detail.phase).toBe('detection_analysis');
    expect(detail.open_tasks).toBe(1);
    expect(detail.total_tasks).toBe(2);
    expect(detail.tasks.map((t) => [t.title, t.done])).toEqual([
      ['Reset passwords', true],
      ['Notify DPO', false],
    ]);
    const tl = timelineResponse.parse((await api(`/incidents/${id}/timeline`)).body);
    expect(tl.items.map((e) => e.text)).not.toContain('to delete');
    const all = timelineResponse.parse((await api(`/incidents/${id}/timeline?include_deleted=true`)).body);
    expect(all.items.map((e) => e.text)).toContain('to delete');
    // A deleted entry says who deleted it and when.
    const gone = all.items.find((e) => e.id === entryId);
    expect(gone).toMatchObject({ deleted: true, deletedBy: 'Lead L', editedBy: 'Lead L' });
    expect(Date.parse(gone!.deletedAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('projects a hostile document defensively', async () => {
    const id = await makeIncident({
      title: 'Null\u0000byte',
      edit(doc) {
        const meta = doc.getMap('meta');
        meta.set('severity', 'S9');
        meta.set('createdAt', 'not a date');
        meta.set('occurredAt', '0000-01-01T00:00:00Z');
        doc.getArray('timeline').push(['not a map']);
      },
    });
    expect(await ts.server.projector.project(id)).toBe('projected');
    const detail = incidentDetailResponse.parse((await api(`/incidents/${id}`)).body);
    expect(detail.title).toBe('Nullbyte');
    expect(detail.severity).toBe('S3');
    expect(detail.occurred_at).toBeNull();
  });

  it('leaves documents without an incident alone', async () => {
    const id = newId();
    await ts.server.docs.withDoc(id, (doc) => doc.getMap('other').set('x', 1));
    expect(await ts.server.projector.project(id)).toBe('not_incident');
    expect((await api(`/incidents/${id}`)).status).toBe(404);
  });
});

describe('GET /api/v1/incidents', () => {
  const tag = `list-${Date.now()}`;
  const made: { id: string; severity: Severity; title: string }[] = [];

  beforeAll(async () => {
    const severities: Severity[] = ['S1', 'S3', 'S2', 'S3', 'S5', 'S1'];
    for (const [i, severity] of severities.entries()) {
      const title = `${tag} ${String.fromCharCode(70 - i)} incident`;
      const id = await makeIncident({ title, severity, tags: [tag], now: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() });
      made.push({ id, severity, title });
    }
    const first = made[0]?.id ?? '';
    await ts.server.docs.withDoc(first, (doc) => setStatus(doc, 'triage', 'lead'));
    await ts.server.projector.flush();
  });

  it('filters by text, status and severity, with counts per status', async () => {
    const r = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&limit=100`)).body);
    expect(r.total).toBe(6);
    expect(r.counts).toMatchObject({ new: 5, triage: 1, closed: 0 });
    const s1 = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&severity=S1`)).body);
    expect(s1.items.map((i) => i.severity)).toEqual(['S1', 'S1']);
    const triage = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&status=triage`)).body);
    expect(triage.total).toBe(1);
    expect(triage.counts.new).toBe(5);
    const multi = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&severity=S1,S2`)).body);
    expect(multi.total).toBe(3);
    const none = listIncidentsResponse.parse((await api(`/incidents?q=${encodeURIComponent('%_\\ nothing')}`)).body);
    expect(none.total).toBe(0);
  });

  it('sorts and paginates', async () => {
    const byTitle = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=title&order=asc`)).body);
    expect(byTitle.items.map((i) => i.title)).toEqual([...made.map((m) => m.title)].sort());
    const bySeverity = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=severity&order=asc`)).body);
    expect(bySeverity.items.map((i) => i.severity)).toEqual(['S1', 'S1', 'S2', 'S3', 'S3', 'S5']);
    const byCreated = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=created_at&order=desc`)).body);
    expect(byCreated.items.map((i) => i.id)).toEqual([...made].reverse().map((m) => m.id));
    const page1 = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=created_at&order=asc&limit=4`)).body);
    const page2 = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=created_at&order=asc&limit=4&offset=4`)).body);
    expect([...page1.items, ...page2.items].map((i) => i.id)).toEqual(made.map((m) => m.id));
    expect(page2.items).toHaveLength(2);
    expect(page1.total).toBe(6);
    const past = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&status=new&limit=4&offset=40`)).body);
    expect(past).toMatchObject({ items: [], total: 5, offset: 40 });
    expect(past.counts).toMatchObject({ new: 5, triage: 1 });
    // Timestamps in the API are ISO 8601 UTC with milliseconds, whatever renders them.
    expect(page1.items[0]?.created_at).toBe('2025-01-01T00:00:00.000Z');
    const byKey = listIncidentsResponse.parse((await api(`/incidents?q=${tag}&sort=key&order=asc`)).body);
    const ns = byKey.items.map((i) => Number(i.key?.split('-')[2]));
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });

  it('answers 400 naming the bad parameter', async () => {
    for (const [query, name] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['severity=S9', 'severity'],
      ['status=open', 'status'],
      ['sort=password', 'sort'],
      ['order=up', 'order'],
      ['offset=-1', 'offset'],
      ['colour=red', 'colour'],
    ]) {
      const r = await api(`/incidents?${query}`);
      expect(r.status, query).toBe(400);
      const body = r.body as { error: { code: string; message: string } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toContain(`"${name}"`);
    }
  });

  it('answers 400 for a bad id and 404 for an unknown one', async () => {
    const bad = await api('/incidents/123');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { message: string } }).error.message).toContain('"id"');
    expect((await api(`/incidents/${newId()}`)).status).toBe(404);
    expect((await api(`/incidents/${newId()}/timeline`)).status).toBe(404);
    expect((await api('/incidents/123/timeline')).status).toBe(400);
  });

  it('returns the timeline in document order', async () => {
    const id = await makeIncident({
      title: `${tag} timeline`,
      edit(doc) {
        addTimelineEntry(doc, { kind: 'note', author: 'a', text: 'third', at: '2030-01-03T00:00:00.000Z' });
        addTimelineEntry(doc, { kind: 'note', author: 'a', text: 'first', at: '2020-01-01T00:00:00.000Z' });
        addTimelineEntry(doc, { kind: 'note', author: 'a', text: 'second', at: '2025-06-01T12:00:00+02:00' });
      },
    });
    await ts.server.projector.flush();
    const tl = timelineResponse.parse((await api(`/incidents/${id}/timeline`)).body);
    const fromDoc = await ts.server.docs.withDoc(id, (doc) => readIncident(doc)?.incident.timeline.map((e) => e.text));
    expect(tl.items.map((e) => e.text)).toEqual(fromDoc);
    expect(tl.items.map((e) => e.text).filter((t) => t !== 'Incident opened')).toEqual(['first', 'second', 'third']);
  });
});

describe('keys under concurrency', () => {
  it('gives each incident exactly one key when two processes project it at once', async () => {
    const other = await startTestServer({ db });
    try {
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => makeIncident({ title: `Race ${i}` })));
      await Promise.all(ids.flatMap((id) => [ts.server.projector.project(id), other.server.projector.project(id)]));
      await ts.server.projector.flush();
      await other.server.projector.flush();
      const rows = await db.sql<{ id: string; key: string }[]>`SELECT id::text, key FROM incidents WHERE id = ANY(${ids}::uuid[])`;
      expect(new Set(rows.map((r) => r.key)).size).toBe(10);
      for (const r of rows) {
        expect(await ts.server.docs.withDoc(r.id, (doc) => readMeta(doc).key)).toBe(r.key);
        expect(await other.server.docs.withDoc(r.id, (doc) => readMeta(doc).key)).toBe(r.key);
      }
    } finally {
      await other.server.close();
    }
  });
});

describe('cached list pages', () => {
  const title = (r: unknown): string[] => listIncidentsResponse.parse(r).items.map((i) => i.title);

  it("shows this process's projected change on the very next read", async () => {
    const tag = `cache${Date.now()}`;
    const id = await makeIncident({ title: 'Cached before', tags: [tag] });
    await ts.server.projector.flush();
    expect(title((await api(`/incidents?q=${tag}`)).body)).toEqual(['Cached before']);
    await ts.server.docs.withDoc(id, (doc) => setStatus(doc, 'triage', 'lead'));
    await ts.server.projector.flush();
    const after = listIncidentsResponse.parse((await api(`/incidents?q=${tag}`)).body);
    expect(after.items[0]?.status).toBe('triage');
    expect(after.counts).toMatchObject({ new: 0, triage: 1 });
  });

  it('drops pages when another process changes the rows (incidents_changed NOTIFY)', async () => {
    const tag = `notify${Date.now()}`;
    const id = await makeIncident({ title: 'Before the other process', tags: [tag] });
    await ts.server.projector.flush();
    expect(title((await api(`/incidents?q=${tag}`)).body)).toEqual(['Before the other process']);
    // Another process's write: straight to the table, which this process hears only by NOTIFY.
    await db.sql`UPDATE incidents SET title = 'Changed elsewhere' WHERE id = ${id}`;
    await expect.poll(async () => title((await api(`/incidents?q=${tag}`)).body), { timeout: 800, interval: 20 }).toEqual(['Changed elsewhere']); // well inside the 1 s freshness: only the NOTIFY explains it
  });
});

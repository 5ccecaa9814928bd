// @vitest-environment node
/**
 * The document outbox against Postgres and the real server: a change recorded in a committed
 * transaction reaches its document even when the process that recorded it never applied it
 * (the sweeper), applying a row twice adds nothing twice, a join waits for the row that creates
 * its incident, and a rolled-back transaction writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { evidenceLinkers, isIncidentDoc, readMeta, readTimeline } from '../../shared/incident-doc.ts';
import { EVIDENCE_WRITE_KIND, type EvidenceDocWrite } from '../evidence/evidence-service.ts';
import { ALERT_WRITE_KIND, type AlertDocWrite } from '../alerts/incident-writer.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.stop();
});

const write = (status: 'created' | 'correlated', title: string): AlertDocWrite => ({
  receivedIso: '2026-12-07T10:00:00.000Z',
  counts: [],
  alerts: [
    {
      status,
      entryId: newId(),
      alertId: newId(),
      title,
      description: '',
      source: 'edr',
      type: 'malware',
      score: 60,
      count: 1,
      observedAt: null,
      detectedAt: '2026-12-07T10:00:00.000Z',
      risk: { score: 60, severity: 'S2', factors: [], model: 'test' },
      category: 'malware',
      observables: [{ kind: 'host', value: `host-${title}` }],
      assets: [],
    },
  ],
});

const rowsLeft = async (id: string): Promise<number> =>
  (await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_outbox WHERE doc_id = ${id}`)[0]?.n ?? -1;

describe('SY17: document outbox', () => {
  it('applies a committed change that was never applied (a crash after commit), once', async () => {
    const id = newId();
    const w = write('created', 'Left behind');
    await ts.server.sql.begin((tx) => ts.server.outbox.record(tx, [{ docId: id, kind: ALERT_WRITE_KIND, payload: w }]));
    expect(await ts.server.docs.withDoc(id, (doc) => isIncidentDoc(doc))).toBe(false);
    expect(await ts.server.outbox.sweep({ all: true })).toBe(1);
    const meta = await ts.server.docs.withDoc(id, (doc) => readMeta(doc));
    expect(meta).toMatchObject({ title: 'Left behind', severity: 'S2', category: 'malware' });
    expect(await rowsLeft(id)).toBe(0);
    // The same row applied again (a sweeper racing a slow first attempt) adds nothing.
    const [again] = await ts.server.sql.begin((tx) => ts.server.outbox.record(tx, [{ docId: id, kind: ALERT_WRITE_KIND, payload: w }]));
    await ts.server.outbox.apply([again!]);
    const entries = await ts.server.docs.withDoc(id, (doc) => readTimeline(doc).filter((e) => e.kind === 'alert'));
    expect(entries).toHaveLength(1);
    await waitFor(async () => (await rowsLeft(id)) === 0, { message: 'the applied row to be removed' });
  });

  it('keeps a join for later until the change that creates its incident is applied', async () => {
    const id = newId();
    const [join] = await ts.server.sql.begin((tx) =>
      ts.server.outbox.record(tx, [{ docId: id, kind: ALERT_WRITE_KIND, payload: write('correlated', 'Second') }]),
    );
    await ts.server.outbox.apply([join!]);
    expect(await ts.server.docs.withDoc(id, (doc) => isIncidentDoc(doc))).toBe(false);
    expect(await rowsLeft(id)).toBe(1);
    const [create] = await ts.server.sql.begin((tx) =>
      ts.server.outbox.record(tx, [{ docId: id, kind: ALERT_WRITE_KIND, payload: write('created', 'First') }]),
    );
    await ts.server.outbox.apply([create!]);
    // The kept row is claimed by the sweep that found it refused; let its claim lapse.
    await ts.server.sql`UPDATE doc_outbox SET claimed_until = NULL WHERE doc_id = ${id}`;
    await ts.server.outbox.sweep({ all: true });
    const entries = await ts.server.docs.withDoc(id, (doc) =>
      readTimeline(doc)
        .filter((e) => e.kind === 'alert')
        .map((e) => e.text),
    );
    expect(entries.sort()).toEqual(['First', 'Second']);
    const meta = await ts.server.docs.withDoc(id, (doc) => readMeta(doc));
    expect(meta.observables.map((o) => o.value).sort()).toEqual(['host-First', 'host-Second']);
    await waitFor(async () => (await rowsLeft(id)) === 0, { message: 'both rows to be removed' });
  });

  it("EV16: writes a stored evidence item's entry and its capture links left behind by a crash, once", async () => {
    const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Evidence after a crash' } });
    const { id } = (await created.json()) as { id: string };
    const note = await ts.fetch(`/api/v1/incidents/${id}/events`, { method: 'POST', json: { kind: 'note', text: 'the image is from FS01' } });
    const { id: noteId } = (await note.json()) as { id: string };
    const evidenceId = newId();
    const w: EvidenceDocWrite = {
      entryId: newId(),
      text: 'Evidence added: fs01.img',
      author: 'Admin',
      data: { evidence_id: evidenceId, file_name: 'fs01.img' },
      linkedEntries: [noteId],
    };
    await ts.server.sql.begin((tx) => ts.server.outbox.record(tx, [{ docId: id, kind: EVIDENCE_WRITE_KIND, payload: w }]));
    await ts.server.outbox.sweep({ all: true });
    await ts.server.outbox.sweep({ all: true });
    const entries = await ts.server.docs.withDoc(id, (doc) => readTimeline(doc));
    expect(entries.filter((e) => e.kind === 'evidence').map((e) => e.id)).toEqual([w.entryId]);
    expect(
      await ts.server.docs.withDoc(id, (doc) =>
        evidenceLinkers(doc)
          .get(evidenceId)
          ?.map((l) => l.entryId),
      ),
    ).toEqual([noteId]);
  });

  it('writes nothing for a transaction that rolls back', async () => {
    const id = newId();
    await expect(
      ts.server.sql.begin(async (tx) => {
        await ts.server.outbox.record(tx, [{ docId: id, kind: ALERT_WRITE_KIND, payload: write('created', 'Rolled back') }]);
        throw new Error('batch failed');
      }),
    ).rejects.toThrow('batch failed');
    await ts.server.outbox.sweep({ all: true });
    expect(await ts.server.docs.withDoc(id, (doc) => isIncidentDoc(doc))).toBe(false);
  });
});

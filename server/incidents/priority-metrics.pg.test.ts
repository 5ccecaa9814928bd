// @vitest-environment node
/**
 * Priority inputs that change outside the document (the asset inventory, the clock) and the
 * metrics over a controlled set of incidents in a past range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { incidentDetailResponse, incidentSummarySchema } from '../../shared/api.ts';
import { createIncident, setStatus } from '../../shared/incident-doc.ts';
import { metricsResponse } from '../../shared/incidents-api.ts';
import { newId } from '../../shared/ids.ts';
import { DEFAULT_SLA_POLICY } from '../../shared/sla.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { reprioritize } from './reprioritize.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

async function call(method: string, path: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await ts.fetch(`/api/v1${path}`, { method, json });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function create(body: Record<string, unknown>): Promise<ReturnType<typeof incidentDetailResponse.parse>> {
  const r = await call('POST', '/incidents', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return incidentDetailResponse.parse(r.body);
}

describe('priority inputs that change outside the document', () => {
  it('the asset inventory raises the priority (projection and the periodic recompute)', async () => {
    const name = `crown-${Date.now()}`;
    const before = await create({ title: 'Crown jewel', severity: 'S3', affected_assets: [name] });
    const assetFactor = (f: { factor: string; points: number }[]) => f.find((x) => x.factor === 'asset_criticality')?.points;
    expect(assetFactor(before.priority_factors)).toBe(0);
    // The document's own pending projection first: this is about the inventory changing while the
    // document stays as it is (a projection that read the inventory before the change and wrote
    // after the recompute would put the old score back until the next periodic recompute).
    await ts.server.projector.flush();
    expect((await call('POST', '/assets', { kind: 'host', name, criticality: 5 })).status).toBe(201);
    expect(await reprioritize(ts.server.sql, DEFAULT_SLA_POLICY, new Date(), [before.id])).toBe(1);
    const after = incidentDetailResponse.parse((await call('GET', `/incidents/${before.id}`)).body);
    expect(after.priority_score).toBe(before.priority_score + 20);
    expect(assetFactor(after.priority_factors)).toBe(20);
    // Nothing changed since: nothing rewritten.
    expect(await reprioritize(ts.server.sql, DEFAULT_SLA_POLICY, new Date(), [before.id])).toBe(0);
    // The projection reads the inventory too.
    const re = incidentSummarySchema.parse((await call('POST', `/incidents/${before.id}/prioritize`)).body);
    expect(re.priority_score).toBe(after.priority_score);
    // Time moves the SLA factor: an hour later an S3 response (4 h) is due soon.
    await reprioritize(ts.server.sql, DEFAULT_SLA_POLICY, new Date(Date.now() + 3.5 * 3_600_000), [before.id]);
    const later = incidentDetailResponse.parse((await call('GET', `/incidents/${before.id}`)).body);
    expect(later.priority_score).toBeGreaterThan(after.priority_score);
  });
});

describe('metrics', () => {
  it('MTTD, MTTR and counts over a controlled set in a past range', async () => {
    const made: { id: string; detected: string }[] = [];
    const specs = [
      {
        occurred: '2020-03-01T09:00:00.000Z',
        detected: '2020-03-01T10:00:00.000Z',
        severity: 'S1',
        category: 'malware',
        to: ['triage', 'containment', 'eradication'],
      },
      { occurred: '2020-03-02T09:00:00.000Z', detected: '2020-03-02T12:00:00.000Z', severity: 'S2', category: 'malware', to: [] },
      { occurred: null, detected: '2020-03-03T10:00:00.000Z', severity: 'S2', category: 'phishing', to: ['closed'] },
    ] as const;
    for (const s of specs) {
      const id = newId();
      const doc = new Y.Doc({ guid: id });
      createIncident(doc, {
        title: 'metric',
        createdBy: 'tester',
        severity: s.severity,
        category: s.category,
        occurredAt: s.occurred,
        detectedAt: s.detected,
        now: s.detected,
      });
      for (const to of s.to) setStatus(doc, to, 'tester');
      await ts.server.docs.withDoc(id, (_d, h) => h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN));
      await ts.server.projector.project(id);
      made.push({ id, detected: s.detected });
    }
    const m = metricsResponse.parse((await call('GET', '/metrics?from=2020-03-01T00:00:00.000Z&to=2020-04-01T00:00:00.000Z')).body);
    expect(m.incidents).toBe(3);
    expect(m.mttd).toEqual({ n: 2, mean_minutes: 120, median_minutes: 120 });
    const rows = await ts.server.sql<{ contained_at: Date | null; resolved_at: Date | null; detected_at: Date }[]>`
      SELECT contained_at, resolved_at, detected_at FROM incidents WHERE id = ANY(${made.map((x) => x.id)}::uuid[])`;
    const mins = (a: Date, b: Date): number => (a.getTime() - b.getTime()) / 60_000;
    const contained = rows.filter((r) => r.contained_at).map((r) => mins(r.contained_at!, r.detected_at));
    const resolved = rows.filter((r) => r.resolved_at).map((r) => mins(r.resolved_at!, r.detected_at));
    expect(m.mttr_containment.n).toBe(2);
    expect(m.mttr_containment.mean_minutes).toBeCloseTo(contained.reduce((a, b) => a + b, 0) / 2, 1);
    expect(m.mttr_resolution.n).toBe(1);
    expect(m.mttr_resolution.mean_minutes).toBeCloseTo(resolved[0]!, 1);
    expect(m.by_status).toEqual({ eradication: 1, new: 1, closed: 1 });
    expect(m.by_severity).toEqual({ S1: 1, S2: 2 });
    expect(m.by_category).toEqual({ malware: 2, phishing: 1 });
    expect((await call('GET', '/metrics?from=2020-04-01T00:00:00.000Z&to=2020-03-01T00:00:00.000Z')).status).toBe(400);
  });
});

// @vitest-environment node
/**
 * The pending-incident contract (issue 20): an incident whose document has reached the server
 * but is not projected yet answers 404 with `details.pending: true` (the client shows
 * "Preparing…" and asks again when the key arrives); an id the server has never seen answers a
 * plain 404; once projected, the same read answers 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  await ts?.stop();
});

describe('an incident the server has not projected yet', () => {
  it('is pending, not missing, on the playbooks read; unknown ids are plainly missing', async () => {
    const id = newId();
    // The document row the sync layer writes on the first update, before the projector runs.
    await ts.server.sql`INSERT INTO documents (id) VALUES (${id})`;
    const res = await ts.fetch(`/api/v1/workflows?incident_id=${id}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string; details?: { pending?: boolean } } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.details).toEqual({ pending: true });
    expect(body.error.message).toMatch(/not ready yet/);

    const unknown = await ts.fetch(`/api/v1/workflows?incident_id=${newId()}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { details?: unknown } }).error.details).toBeUndefined();
  });

  it('answers as soon as the incident is projected', async () => {
    const created = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'Ready at once', severity: 'S3' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const res = await ts.fetch(`/api/v1/workflows?incident_id=${id}`);
    expect(res.status).toBe(200);
    const runs = await ts.fetch(`/api/v1/incidents/${id}/runs`);
    expect(runs.status).toBe(200);
  });
});

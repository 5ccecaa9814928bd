// @vitest-environment node
/**
 * An incident id POST /alerts returns is readable at once: GET /incidents/{id} and its timeline
 * answer 200 right after, even while the debounced projection has not run yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResponse } from '../../shared/alerts-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let ts: TestServer;
beforeAll(async () => {
  // A long debounce: without projecting on read the row would appear only after it.
  ts = await startTestServer({ projectorDebounceMs: 30_000 });
});
afterAll(async () => {
  await ts?.stop();
});

describe('AL7: an incident opened by an alert', () => {
  it('is readable as soon as its id is returned', async () => {
    const r = await ts.fetch('/api/v1/alerts', {
      method: 'POST',
      json: { source: 'edr', type: 'malware', title: 'Beacon from FIN-LT-07', impact: 5, likelihood: 4, observables: { hosts: ['fin-lt-07'] } },
    });
    expect(r.status).toBe(200);
    const id = ((await r.json()) as IngestResponse).items[0]?.incident_id;
    expect(id).toBeTruthy();
    const incident = await ts.fetch(`/api/v1/incidents/${id}`);
    expect(incident.status).toBe(200);
    expect(((await incident.json()) as { title: string }).title).toBe('Beacon from FIN-LT-07');
    const timeline = await ts.fetch(`/api/v1/incidents/${id}/timeline`);
    expect(timeline.status).toBe(200);
    // An id nobody knows is still a 404.
    expect((await ts.fetch('/api/v1/incidents/0193a000-0000-7000-8000-000000000000')).status).toBe(404);
  });
});

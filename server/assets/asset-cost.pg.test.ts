/** The asset inventory's optional cost per hour (issue 12's cost calculator; migration 024). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Asset } from '../../shared/alerts-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

describe('asset cost per hour', () => {
  it('stores, changes and clears an asset cost per hour in minor units; an asset without one has null', async () => {
    const made = await ts.fetch('/api/v1/assets', { method: 'POST', json: { kind: 'service', name: 'ERP', cost_per_hour: 1_250_000 } });
    expect(made.status).toBe(201);
    const a = (await made.json()) as Asset;
    expect(a.cost_per_hour).toBe(1_250_000);
    const plain = (await (await ts.fetch('/api/v1/assets', { method: 'POST', json: { kind: 'host', name: 'ws-1' } })).json()) as Asset;
    expect(plain.cost_per_hour).toBeNull();
    const patched = (await (await ts.fetch(`/api/v1/assets/${a.id}`, { method: 'PATCH', json: { cost_per_hour: 999 } })).json()) as Asset;
    expect(patched.cost_per_hour).toBe(999);
    const owner = (await (await ts.fetch(`/api/v1/assets/${a.id}`, { method: 'PATCH', json: { owner: 'ops' } })).json()) as Asset;
    expect(owner.cost_per_hour).toBe(999);
    const cleared = (await (await ts.fetch(`/api/v1/assets/${a.id}`, { method: 'PATCH', json: { cost_per_hour: null } })).json()) as Asset;
    expect(cleared.cost_per_hour).toBeNull();
  });

  it('refuses a negative, fractional or too large cost per hour with 400 naming the field, and writes nothing', async () => {
    for (const cost_per_hour of [-1, 1.5, 1_000_000_001, '100']) {
      const r = await ts.fetch('/api/v1/assets', { method: 'POST', json: { kind: 'host', name: 'bad-cost', cost_per_hour } });
      expect(r.status, String(cost_per_hour)).toBe(400);
      expect(await r.text()).toContain('cost_per_hour');
    }
    const list = (await (await ts.fetch('/api/v1/assets?q=bad-cost')).json()) as { total: number };
    expect(list.total).toBe(0);
  });
});

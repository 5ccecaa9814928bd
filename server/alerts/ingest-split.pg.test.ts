// @vitest-environment node
/**
 * One alert the database refuses does not take its batch down: the batch is split until that
 * alert is alone, it fails with the database's reason, and every other alert (including those of
 * other senders grouped into the same transaction) is stored: 207 with per-item results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResponse } from '../../shared/alerts-api.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  // Stands for any value Postgres refuses that validation let through.
  await ts.server.sql.unsafe(`
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.title = 'poison' THEN RAISE EXCEPTION 'poisoned value' USING ERRCODE = '22000'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER refuse_poison BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
});
afterAll(async () => {
  await ts?.stop();
});

const alert = (title: string, n: number): Record<string, unknown> => ({
  source: 'split',
  type: 'malware',
  title,
  impact: 4,
  likelihood: 4,
  observables: { hosts: [`split-${n}`] },
});

describe('AL8: a batch with an alert the database refuses', () => {
  it('stores the others and fails that one alone (207)', async () => {
    const r = await ts.fetch('/api/v1/alerts', { method: 'POST', json: [alert('good 1', 1), alert('poison', 2), alert('good 2', 3), alert('good 3', 4)] });
    expect(r.status).toBe(207);
    const body = (await r.json()) as IngestResponse;
    expect(body.items.map((i) => i.status)).toEqual(['created', 'failed', 'created', 'created']);
    expect(body.items[1]?.errors.join(' ')).toMatch(/could not be stored: poisoned value/);
    const [stored] = await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM alerts WHERE source = 'split'`;
    expect(stored?.n).toBe(3);
    // Each stored alert is audited once.
    const audited = await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'alert.ingest'`;
    expect(audited[0]?.n).toBeGreaterThanOrEqual(1);
    for (const item of body.items.filter((i) => i.status === 'created')) {
      const a = await ts.fetch(`/api/v1/alerts/${item.alert_id}`);
      expect(a.status).toBe(200);
    }
  });
});

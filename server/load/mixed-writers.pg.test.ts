// @vitest-environment node
/**
 * Mixed writers against the real server: REST timeline events, alerts that open and join
 * incidents (starting the malware playbook's steps), websocket edits and health checks at once. The server must keep answering
 * /healthz throughout (no lock held while waiting for a pool connection), and every write it
 * accepted must be stored (in Postgres, after a restart of the process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addTimelineEntry, readTimeline } from '../../shared/incident-doc.ts';
import { createLogger } from '../logger.ts';
import { createPgDocumentStore } from '../sync/pg-document-store.ts';
import { connectClient, startTestServer, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';

const DURATION_MS = Number(process.env.MIXED_LOAD_MS ?? 4_000);

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.stop();
});

async function createIncident(title: string): Promise<string> {
  const r = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title, severity: 'S3' } });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

describe('mixed writers', () => {
  it('keeps /healthz answering and stores every accepted write', async () => {
    const incidents = await Promise.all(Array.from({ length: 4 }, (_, i) => createIncident(`Load ${i}`)));
    const deadline = Date.now() + DURATION_MS;
    const accepted = new Map<string, Set<string>>(incidents.map((id) => [id, new Set()]));
    let health = { ok: 0, bad: 0, slowest: 0 };
    const eventWriter = async (n: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const id = incidents[(n + i) % incidents.length] as string;
        const r = await ts.fetch(`/api/v1/incidents/${id}/events`, { method: 'POST', json: { kind: 'note', text: `w${n} e${i}` } });
        if (r.status === 201) accepted.get(id)?.add(((await r.json()) as { id: string }).id);
        else await r.body?.cancel();
      }
    };
    let alertsAccepted = 0;
    const alertWriter = async (n: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const r = await ts.fetch('/api/v1/alerts', {
          method: 'POST',
          json: {
            source: 'load',
            type: 'malware',
            title: `a${n}-${i}`,
            impact: 4,
            likelihood: 4,
            observables: { hosts: [`host-${(n * 7 + i) % 5}`], ips: [`203.0.113.${i % 200}`] },
          },
        });
        if (r.status === 200) alertsAccepted++;
        await r.body?.cancel();
      }
    };
    const healthChecker = async (): Promise<void> => {
      while (Date.now() < deadline + 500) {
        const t0 = performance.now();
        const r = await ts.fetch('/healthz', { as: null, signal: AbortSignal.timeout(3_000) }).catch(() => null);
        health = { ...health, slowest: Math.max(health.slowest, performance.now() - t0) };
        if (r?.status === 200) health.ok++;
        else health.bad++;
        await r?.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // Socket editors: one stock y-websocket client per incident adds notes.
    const sockets = incidents.map((id) => connectClient(ts.wsUrl, id, { as: ts.admin }));
    await Promise.all(sockets.map((c) => c.synced()));
    const socketEdits = new Map<string, Set<string>>(incidents.map((id) => [id, new Set()]));
    const socketWriter = async (): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const c = sockets[i % sockets.length];
        if (!c) continue;
        const r = addTimelineEntry(c.doc, { kind: 'note', text: `socket ${i}`, author: 'admin' });
        if (r.ok) socketEdits.get(c.doc.guid)?.add(r.value);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await Promise.all([
      ...Array.from({ length: 12 }, (_, n) => eventWriter(n)),
      ...Array.from({ length: 4 }, (_, n) => alertWriter(n)),
      socketWriter(),
      healthChecker(),
    ]);
    expect(health.bad).toBe(0);
    expect(health.ok).toBeGreaterThan(0);
    expect(alertsAccepted).toBeGreaterThan(0);
    // Correlated malware alerts start the malware playbook: its steps ran under the same load.
    await waitFor(
      async () => ((await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM playbook_step_runs WHERE state <> 'pending'`)[0]?.n ?? 0) > 0,
      {
        timeoutMs: 20_000,
        message: 'playbook steps to run',
      },
    );
    const store = createPgDocumentStore(ts.server.sql, createLogger({ level: 'silent' }));
    const storedIds = async (id: string): Promise<Set<string>> => {
      const stored = await store.loadSince(id, 0);
      const doc = new Y.Doc();
      for (const u of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) Y.applyUpdate(doc, u);
      return new Set(readTimeline(doc).map((e) => e.id));
    };
    // A 201 means stored: read Postgres at once, before anything is flushed.
    for (const id of incidents) {
      const ids = await storedIds(id);
      expect([...(accepted.get(id) ?? [])].filter((e) => !ids.has(e))).toEqual([]);
    }
    // Every socket edit reached the server (the clients are synced when their state matches).
    for (const c of sockets) {
      await waitFor(
        async () => {
          const ids = new Set(await ts.server.docs.withDoc(c.doc.guid, (doc) => readTimeline(doc).map((e) => e.id)));
          return [...(socketEdits.get(c.doc.guid) ?? [])].every((e) => ids.has(e));
        },
        { timeoutMs: 20_000 },
      );
      c.destroy();
    }
    await ts.server.docs.flush();
    for (const id of incidents) {
      const ids = await storedIds(id);
      expect([...(socketEdits.get(id) ?? [])].filter((e) => !ids.has(e))).toEqual([]);
    }
    const total = [...accepted.values()].reduce((n, s) => n + s.size, 0);
    expect(total).toBeGreaterThan(0);
  }, 120_000);
});

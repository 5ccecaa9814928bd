/**
 * Mixed writers for 60 s (MIXED_LOAD_S) against a server process: 12 clients posting timeline
 * events, 4 posting alerts (which correlate, so the malware playbook runs its steps), 4 stock
 * y-websocket clients adding notes, and /healthz polled every 250 ms throughout. Then the process
 * is killed with SIGKILL and every event it answered 201 for is looked for in the documents
 * stored in Postgres. Prints the figures.
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { addTimelineEntry, readTimeline } from '../shared/incident-doc.ts';
import { connect } from '../server/db/connect.ts';
import { createLogger } from '../server/logger.ts';
import { createPgDocumentStore } from '../server/sync/pg-document-store.ts';
import { fmt, percentile, type ServerProcess } from './server-process.ts';

const DURATION_MS = Number(process.env.MIXED_LOAD_S ?? 60) * 1000;

async function json<T>(r: Response): Promise<T> {
  return (await r.json()) as T;
}

export async function benchMixedLoad(server: ServerProcess, databaseUrl: string): Promise<Record<string, string>> {
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { ...server.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const incidents: string[] = [];
  for (let i = 0; i < 4; i++)
    incidents.push((await json<{ id: string }>(await post('/api/v1/incidents', { title: `Mixed load ${i}`, severity: 'S2', category: 'malware' }))).id);

  console.error(`mixed: ${incidents.length} incidents, ${DURATION_MS / 1000} s of load…`);
  const deadline = Date.now() + DURATION_MS;
  const accepted = new Map<string, string[]>(incidents.map((id) => [id, []]));
  const refused: Record<number, number> = {};
  let alertsOk = 0;
  let alertsFailed = 0;
  const health: number[] = [];
  let healthBad = 0;

  const eventWriter = async (n: number): Promise<void> => {
    for (let i = 0; Date.now() < deadline; i++) {
      const id = incidents[(n + i) % incidents.length] as string;
      const r = await post(`/api/v1/incidents/${id}/events`, { kind: 'note', text: `writer ${n} event ${i}` });
      if (r.status === 201) accepted.get(id)?.push((await json<{ id: string }>(r)).id);
      else {
        refused[r.status] = (refused[r.status] ?? 0) + 1;
        await r.body?.cancel();
      }
    }
  };
  const alertWriter = async (n: number): Promise<void> => {
    for (let i = 0; Date.now() < deadline; i++) {
      const r = await post('/api/v1/alerts', {
        source: 'mixed',
        type: 'malware',
        title: `beacon ${n}-${i}`,
        impact: 4,
        likelihood: 4,
        observables: { hosts: [`ws-${(n + i) % 6}`] },
      });
      if (r.status === 200) alertsOk++;
      else alertsFailed++;
      await r.body?.cancel();
    }
  };
  const healthChecker = async (): Promise<void> => {
    while (Date.now() < deadline + 1_000) {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      health.push(performance.now() - t0);
      if (r?.status !== 200) healthBad++;
      await r?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const clients = incidents.map((id) => {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.wsUrl}`, id, doc, { WebSocketPolyfill: server.WebSocket as never, disableBc: true });
    return { doc, provider };
  });
  let socketEdits = 0;
  const socketWriter = async (): Promise<void> => {
    for (let i = 0; Date.now() < deadline; i++) {
      const c = clients[i % clients.length];
      if (c?.provider.synced) {
        addTimelineEntry(c.doc, { kind: 'note', text: `socket ${i}`, author: 'bench' });
        socketEdits++;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await Promise.all([
    ...Array.from({ length: 12 }, (_, n) => eventWriter(n)),
    ...Array.from({ length: 4 }, (_, n) => alertWriter(n)),
    socketWriter(),
    healthChecker(),
  ]);
  for (const c of clients) c.provider.destroy();
  console.error('mixed: load done; SIGKILL and reading Postgres…');

  // The hard way out: no graceful flush. What was answered 201 must be in Postgres already.
  process.kill(server.pid, 'SIGKILL');
  const sql = connect(databaseUrl, { logger: createLogger({ level: 'silent' }) });
  let missing = 0;
  let total = 0;
  try {
    const store = createPgDocumentStore(sql, createLogger({ level: 'silent' }));
    for (const id of incidents) {
      const stored = await store.loadSince(id, 0);
      const doc = new Y.Doc();
      for (const u of stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates) Y.applyUpdate(doc, u);
      const ids = new Set(readTimeline(doc).map((e) => e.id));
      const mine = accepted.get(id) ?? [];
      total += mine.length;
      missing += mine.filter((e) => !ids.has(e)).length;
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
  const sorted = [...health].sort((a, b) => a - b);
  return {
    duration: `${DURATION_MS / 1000} s`,
    'timeline events answered 201': String(total),
    'of those missing from Postgres after SIGKILL': String(missing),
    'events refused (status: count)': JSON.stringify(refused),
    'alert requests ok / failed': `${alertsOk} / ${alertsFailed}`,
    'socket notes written': String(socketEdits),
    '/healthz failures': `${healthBad} of ${health.length}`,
    '/healthz p50 / p99 / max': `${fmt(percentile(sorted, 50))} / ${fmt(percentile(sorted, 99))} / ${fmt(sorted.at(-1) ?? 0)}`,
  };
}

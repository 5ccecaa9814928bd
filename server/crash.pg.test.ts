// @vitest-environment node
/**
 * kill -9: the server runs as its own process (server/main.ts through tsx); after it is killed
 * and started again on the same database, every accepted update is still there and the
 * projection rows match the document.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { incidentDetailResponse, timelineResponse } from '../shared/api.ts';
import { addTask, addTimelineEntry, createIncident, descriptionText, readIncident } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { freePort } from './db/embedded.ts';
import { createTestDatabase, type TestDatabase } from './db/test-database.ts';
import { createPgDocumentStore } from './sync/pg-document-store.ts';
import { connectClient, sameState, startTestServer, type Client } from './testing/test-server.ts';
import { waitFor } from './testing/wait-for.ts';

const root = new URL('..', import.meta.url).pathname;

interface ServerProcess {
  url: string;
  wsUrl: string;
  /** The admin's session cookie. */
  headers: Record<string, string>;
  child: ChildProcess;
  output(): string;
}

async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ADMIN_EMAIL: 'admin@crash.test',
      ADMIN_PASSWORD: 'crash test password',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      STATIC_DIR: join(root, 'no-such-dist'),
      PROJECTOR_DEBOUNCE_MS: '20',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 50, message: 'server start' },
  );
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@crash.test', password: 'crash test password' }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { url, wsUrl: `ws://127.0.0.1:${port}/sync`, headers: { cookie }, child, output: () => out };
}

function kill9(p: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

/** The document as Postgres holds it (snapshot + updates). */
async function storedDoc(db: TestDatabase, id: string): Promise<Y.Doc> {
  const s = await createPgDocumentStore(db.sql).loadSince(id, 0);
  const doc = new Y.Doc();
  if (s.snapshot) Y.applyUpdate(doc, s.snapshot);
  for (const u of s.updates) Y.applyUpdate(doc, u);
  return doc;
}

async function edit(c: Client, n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    addTimelineEntry(c.doc, { kind: 'note', author: 'alice', text: `${label} ${i}` });
    descriptionText(c.doc).insert(0, label.slice(0, 1));
  }
}

let db: TestDatabase;
const processes: ServerProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const p of processes) await kill9(p);
  await db.drop();
});

describe('kill -9', () => {
  it('SY12: keeps every accepted update, and the rows match the document after a restart', async () => {
    const first = await spawnServer({ DATABASE_URL: db.url });
    processes.push(first);
    const id = newId();
    const writer = connectClient(first.wsUrl, id, { as: first });
    const watcher = connectClient(first.wsUrl, id, { as: first });
    clients.push(writer, watcher);
    await Promise.all([writer.synced(), watcher.synced()]);
    createIncident(writer.doc, { title: 'Survives kill -9', createdBy: 'alice', severity: 'S2' });
    addTask(writer.doc, 'Image the disk');
    await edit(writer, 25, 'before');
    // The projection shows it: rows and key.
    await waitFor(
      async () => {
        const r = await fetch(`${first.url}/api/v1/incidents/${id}`, { headers: first.headers });
        if (!r.ok) return false;
        const d = incidentDetailResponse.parse(await r.json());
        return d.timeline_count === 26 && d.key !== null;
      },
      { message: 'projection', timeoutMs: 15_000 },
    );
    // More edits, relayed to the other client (so accepted), then stored, then the kill.
    await edit(writer, 10, 'last');
    await waitFor(() => sameState(writer.doc, watcher.doc), { message: 'relay' });
    await waitFor(async () => sameState(await storedDoc(db, id), writer.doc), { message: 'stored', timeoutMs: 5_000 });
    await kill9(first);

    const second = await spawnServer({ DATABASE_URL: db.url });
    processes.push(second);
    const fresh = connectClient(second.wsUrl, id, { as: second });
    clients.push(fresh);
    await fresh.synced();
    await waitFor(() => sameState(fresh.doc, writer.doc), { message: 'fresh client has everything' });

    // The restarted server projects what the first one did not get to, and the rows match.
    const incident = readIncident(fresh.doc)?.incident;
    await waitFor(
      async () => {
        const d = incidentDetailResponse.parse(await (await fetch(`${second.url}/api/v1/incidents/${id}`, { headers: second.headers })).json());
        return d.timeline_count === incident?.timeline.length && d.description === incident?.meta.description;
      },
      { message: 'projection after restart', timeoutMs: 15_000 },
    );
    const timeline = timelineResponse.parse(await (await fetch(`${second.url}/api/v1/incidents/${id}/timeline`, { headers: second.headers })).json());
    expect(timeline.items).toEqual(incident?.timeline);
    const detail = incidentDetailResponse.parse(await (await fetch(`${second.url}/api/v1/incidents/${id}`, { headers: second.headers })).json());
    expect(detail.key).toBe(incident?.meta.key);
    expect(detail.tasks).toEqual(incident?.tasks);

    // A rebuild from the documents gives the same rows.
    await kill9(second);
    const rowsOf = async () => ({
      incident: (await db.sql`SELECT * FROM incidents WHERE id = ${id}`).map(({ projected_at: _p, ...r }) => r),
      timeline: await db.sql`SELECT * FROM timeline_entries WHERE incident_id = ${id} ORDER BY ord`,
      tasks: await db.sql`SELECT * FROM tasks WHERE incident_id = ${id} ORDER BY ord`,
    });
    const before = await rowsOf();
    const inProcess = await startTestServer({ db });
    try {
      await inProcess.server.projector.rebuildAll();
      expect(await rowsOf()).toEqual(before);
    } finally {
      await inProcess.server.close();
    }
  });

  it('restarts on the embedded Postgres after the server was killed with it running', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sentpilot-crash-'));
    await chmod(dataDir, 0o755);
    const env = { DATABASE_URL: '', DATA_DIR: dataDir };
    try {
      const first = await spawnServer(env);
      processes.push(first);
      const id = newId();
      const c = connectClient(first.wsUrl, id, { as: first });
      clients.push(c);
      await c.synced();
      createIncident(c.doc, { title: 'Embedded survives', createdBy: 'alice' });
      await waitFor(async () => (await fetch(`${first.url}/api/v1/incidents/${id}`, { headers: first.headers })).ok, {
        message: 'projection',
        timeoutMs: 15_000,
      });
      c.destroy();
      await kill9(first);
      const second = await spawnServer(env);
      processes.push(second);
      const r = await fetch(`${second.url}/api/v1/incidents/${id}`, { headers: second.headers });
      expect(r.status).toBe(200);
      expect(incidentDetailResponse.parse(await r.json()).title).toBe('Embedded survives');
      await new Promise<void>((resolve) => {
        second.child.once('exit', () => resolve());
        second.child.kill('SIGTERM');
      });
      expect(second.child.exitCode).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

// @vitest-environment node
/**
 * A start that fails at any stage leaves nothing behind: every part started before the failure is
 * stopped (the lifecycle stack, server/lifecycle.ts), so no Postgres connection of that server, no
 * listening socket, no timer or handle, and no temporary data folder is left, and the original
 * error is what the caller sees.
 */
import { createHook } from 'node:async_hooks';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './db/embedded.ts';
import { createTestDatabase, type TestDatabase } from './db/test-database.ts';
import { createLogger } from './logger.ts';
import { START_STAGES, startServer, type StartStage } from './server.ts';

let db: TestDatabase;
// The server makes its temporary data folder under os.tmpdir(); other test files running at the
// same time make theirs under the system's. A private TMPDIR for this file (os.tmpdir() reads it
// on each call) lets the check see only the folders these starts made.
const systemTmp = process.env.TMPDIR;
let privateTmp = '';

beforeAll(async () => {
  privateTmp = await mkdtemp(join(tmpdir(), 'sp-start-failure-'));
  process.env.TMPDIR = privateTmp;
  db = await createTestDatabase({ migrated: true });
}, 60_000);
afterAll(async () => {
  if (systemTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = systemTmp;
  await db?.drop();
  if (privateTmp) await rm(privateTmp, { recursive: true, force: true });
});

const dataFolders = async (): Promise<string[]> => (await readdir(tmpdir())).filter((f) => f.startsWith('sentpilot-data-')).sort();

async function connections(appName: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${appName}`;
  return row?.n ?? -1;
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Timers and handles created from here on that are still alive, by type: unlike
 * process.getActiveResourcesInfo() this sees unref()'d timers too.
 */
function trackHandles(): { live(): string[]; stopRecording(): void; stop(): void } {
  const kinds = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'TTYWRAP', 'WORKER', 'MESSAGEPORT', 'FSEVENTWRAP', 'STATWATCHER']);
  const alive = new Map<number, string>();
  let recording = true;
  const hook = createHook({
    init(id, type) {
      if (recording && kinds.has(type)) alive.set(id, type);
    },
    destroy(id) {
      alive.delete(id);
    },
  }).enable();
  return {
    live: () => [...alive.values()].sort(),
    // The test's own polling makes timers too: only what the start made counts.
    stopRecording: () => (recording = false),
    stop: () => hook.disable(),
  };
}

/** Active resources by type (timers, sockets, handles), as counts. */
function resources(): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) out.set(r, (out.get(r) ?? 0) + 1);
  return out;
}
const grown = (before: Map<string, number>, after: Map<string, number>): string[] =>
  [...after].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${k}: ${before.get(k) ?? 0} -> ${n}`);

describe('a failed start', () => {
  it.each(START_STAGES.map((s) => [s]))(
    'failing at %s leaves no connection, socket, timer or data folder',
    async (stage: StartStage) => {
      const appName = `sp-fail-${stage.replaceAll(' ', '-')}-${Math.random().toString(36).slice(2, 8)}`;
      const url = new URL(db.url);
      url.searchParams.set('application_name', appName);
      const port = await freePort();
      // Settle whatever earlier cases or the database helper left in flight.
      await connections(appName);
      const folders = await dataFolders();
      const before = resources();
      const handles = trackHandles();

      const start = startServer({
        port,
        host: '127.0.0.1',
        databaseUrl: url.toString(),
        logger: createLogger({ level: 'silent' }),
        bootstrapAdmin: { email: 'admin@start-failure.test', password: 'start failure password 1' },
        auth: { hashCost: { memoryCost: 4096, timeCost: 2 } },
        failAt: stage,
      });
      await expect(start).rejects.toThrow(`start failed at ${stage}`);
      handles.stopRecording();

      expect(await connections(appName)).toBe(0);
      expect(await portAccepts(port)).toBe(false);
      expect(await dataFolders()).toEqual(folders);
      await expect.poll(() => grown(before, resources()), { timeout: 5_000, interval: 50 }).toEqual([]);
      // Destroy hooks run when handles are collected or closed; the poll gives them the time.
      await expect.poll(() => handles.live(), { timeout: 5_000, interval: 50 }).toEqual([]);
      handles.stop();
    },
    60_000,
  );
});

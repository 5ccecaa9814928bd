/**
 * Benchmarks run the server as its own process (the bundle `npm start` runs), so the figures are
 * the server's and not shared with the benchmark's own event loop. Each process starts with a
 * bootstrap admin (ADMIN_EMAIL/ADMIN_PASSWORD); the benchmark logs in and makes an admin API
 * token, used as `Authorization: Bearer` on requests and websocket upgrades.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS, serverProcessEnv } from '../scripts/server-env.mjs';
import { join } from 'node:path';
import { freePort } from '../server/db/embedded.ts';
import { createScratchDatabase, scratchPostgres } from '../server/db/scratch-postgres.ts';
import { buildClient, buildServer } from '../scripts/build.mjs';

const root = new URL('..', import.meta.url).pathname;

export interface BenchDatabase {
  url: string;
  external: boolean;
  drop(): Promise<void>;
}

/** A fresh database on DATABASE_URL's server, or on an embedded Postgres in a temp folder. */
export async function benchDatabase(): Promise<BenchDatabase> {
  const pg = await scratchPostgres(process.env.DATABASE_URL);
  const db = await createScratchDatabase(pg.url, 'sentpilot_bench');
  return {
    url: db.url,
    external: !pg.embedded,
    async drop() {
      await db.drop();
      await pg.stop();
    },
  };
}

export async function buildAll(): Promise<void> {
  await buildClient();
  await buildServer();
}

export const BENCH_ADMIN = { email: 'bench@localhost', password: 'bench admin password' } as const;

/** `ws` sending these headers on the upgrade. */
function authedWebSocket(headers: Record<string, string>): typeof WebSocket {
  class AuthedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  return AuthedWebSocket as unknown as typeof WebSocket;
}

export interface ServerProcess {
  url: string;
  wsUrl: string;
  /** `Authorization: Bearer <admin token>`. */
  headers: Record<string, string>;
  /** A `ws` constructor that authenticates with `headers`. */
  WebSocket: typeof WebSocket;
  pid: number;
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * The node flags `npm start` uses, then extra ones for the server process, e.g.
 * BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it (a later flag wins:
 * BENCH_SERVER_NODE_ARGS=--max-semi-space-size=16 measures V8's default young generation).
 */
function serverNodeArgs(): string[] {
  return [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...serverNodeArgs(), join(root, 'dist-server/main.js')], {
    cwd: root,
    env: {
      ...serverProcessEnv(),
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      STATIC_DIR: join(root, 'dist'),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not start in 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid ?? 0;
  const headers = await adminToken(url);
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
    headers,
    WebSocket: authedWebSocket(headers),
    pid,
    rssMb() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** Log in as the bench admin and create an admin API token. */
export async function adminToken(url: string): Promise<Record<string, string>> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
  });
  if (!login.ok) throw new Error(`bench login failed: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const r = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: `bench ${Date.now()}`, role: 'admin' }),
  });
  if (!r.ok) throw new Error(`bench token failed: ${r.status} ${await r.text()}`);
  const { secret } = (await r.json()) as { secret: string };
  return { authorization: `Bearer ${secret}` };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

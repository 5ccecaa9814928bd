/**
 * Test helper: a fresh database per test file on the server DATABASE_URL points at (the
 * vitest globalSetup starts an embedded Postgres when it is unset), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type Sql } from './connect.ts';
import { migrate } from './migrate.ts';

export interface TestDatabase {
  url: string;
  name: string;
  /** A pool on the test database (ended by drop()). */
  sql: Sql;
  drop(): Promise<void>;
}

export function baseDatabaseUrl(): string {
  const url = process.env.DATABASE_URL || inject('databaseUrl');
  if (!url) throw new Error('DATABASE_URL is not set and the vitest globalSetup provided no database');
  return url;
}

/** Create `sentpilot_t_<random>`; with `migrated`, apply the migrations too. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const base = baseDatabaseUrl();
  const name = `sentpilot_t_${randomBytes(6).toString('hex')}`;
  const admin = connect(base, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = connect(url, { max: 4 });
  if (opts.migrated) await migrate(sql);
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = connect(base, { max: 1 });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

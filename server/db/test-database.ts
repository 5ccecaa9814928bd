/**
 * Test helper: a fresh database per test file on the server DATABASE_URL points at (the
 * vitest globalSetup starts an embedded Postgres when it is unset), dropped afterwards.
 */
import { inject } from 'vitest';
import { connect, type Sql } from './connect.ts';
import { migrate } from './migrate.ts';
import { createScratchDatabase } from './scratch-postgres.ts';

export interface TestDatabase {
  url: string;
  name: string;
  /** A pool on the test database (ended by drop()). */
  sql: Sql;
  drop(): Promise<void>;
}

function baseDatabaseUrl(): string {
  const url = process.env.DATABASE_URL || inject('databaseUrl');
  if (!url) throw new Error('DATABASE_URL is not set and the vitest globalSetup provided no database');
  return url;
}

/** Create `sentpilot_t_<random>`; with `migrated`, apply the migrations too. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(baseDatabaseUrl(), 'sentpilot_t');
  const sql = connect(scratch.url, { max: 4 });
  if (opts.migrated) await migrate(sql);
  return {
    url: scratch.url,
    name: scratch.name,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await scratch.drop();
    },
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

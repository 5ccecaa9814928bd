/**
 * E2E global setup: a Postgres (DATABASE_URL, or the embedded one in a temp folder), a fresh
 * database on it, and the real server serving the built PWA from dist/ on a free port.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createScratchDatabase, scratchPostgres } from '../../server/db/scratch-postgres.ts';
import { startServer } from '../../server/server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = new URL('../../', import.meta.url).pathname;
  if (!existsSync(join(root, 'dist/index.html'))) throw new Error('dist/ is missing: run `npx vite build` (npm test does it)');
  const pg = await scratchPostgres(process.env.DATABASE_URL);
  const db = await createScratchDatabase(pg.url, 'sentpilot_e2e');
  const server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, staticDir: join(root, 'dist'), logLevel: 'warn' });
  project.provide('baseURL', server.url);
  return async () => {
    await server.close();
    await db.drop();
    await pg.stop();
  };
}

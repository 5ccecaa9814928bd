/**
 * E2E global setup: a Postgres (DATABASE_URL, or the embedded one in a temp folder), a fresh
 * database on it, and the real server serving the built PWA from dist/ on a free port, started
 * with a bootstrap admin whose credentials the specs get (with the database URL, so a spec can
 * expire a session in the database).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createScratchDatabase, scratchPostgres } from '../../server/db/scratch-postgres.ts';
import { startServer } from '../../server/server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
    /** The bootstrap admin (log in with it to create users of other roles). */
    admin: { email: string; password: string };
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = new URL('../../', import.meta.url).pathname;
  // E2E_DIST: another build's directory (`npx vite build --outDir …`), so two people can run the specs at once.
  const dist = process.env.E2E_DIST ?? join(root, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} is missing: run \`npx vite build\` (npm test does it)`);
  const pg = await scratchPostgres(process.env.DATABASE_URL);
  const db = await createScratchDatabase(pg.url, 'sentpilot_e2e');
  const admin = { email: 'admin@e2e.test', password: 'e2e admin password, long enough' };
  const bootstrap = { bootstrapAdmin: admin };
  // Private feed URLs allowed: the intel spec serves its feed from this machine.
  const server = await startServer({
    ...bootstrap,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: db.url,
    staticDir: dist,
    logLevel: 'warn',
    intel: { allowPrivateFeedUrls: true },
  });
  project.provide('baseURL', server.url);
  project.provide('admin', admin);
  project.provide('databaseUrl', db.url);
  return async () => {
    await server.close();
    await db.drop();
    await pg.stop();
  };
}

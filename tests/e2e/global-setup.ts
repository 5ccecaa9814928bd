/**
 * E2E global setup: a Postgres (DATABASE_URL, or the embedded one in a temp folder), a fresh
 * database on it, and the real server serving the built PWA from dist/ on a free port.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/db/embedded.ts';
import { connect } from '../../server/db/connect.ts';
import { startServer } from '../../server/server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = new URL('../../', import.meta.url).pathname;
  if (!existsSync(join(root, 'dist/index.html'))) throw new Error('dist/ is missing: run `npx vite build` (npm test does it)');
  let embedded: EmbeddedPostgres | null = null;
  let tmp: string | null = null;
  let base = process.env.DATABASE_URL;
  if (!base) {
    tmp = await mkdtemp(join(tmpdir(), 'sentpilot-e2e-pg-'));
    await chmod(tmp, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: tmp });
    base = embedded.url;
  }
  const name = `sentpilot_e2e_${randomBytes(5).toString('hex')}`;
  const admin = connect(base, { max: 1 });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: url.toString(), staticDir: join(root, 'dist'), logLevel: 'warn' });
  project.provide('baseURL', server.url);
  return async () => {
    await server.close();
    const a = connect(base, { max: 1 });
    await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await a.end();
    await embedded?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
}

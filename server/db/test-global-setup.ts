/**
 * vitest globalSetup: make sure the tests have a Postgres. With DATABASE_URL set, use it;
 * otherwise start the embedded Postgres in a temp folder and stop it (and remove the folder)
 * after the run.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './embedded.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.DATABASE_URL;
  if (existing) {
    project.provide('databaseUrl', existing);
    return async () => {};
  }
  const dir = await mkdtemp(join(tmpdir(), 'sentpilot-test-pg-'));
  // The postgres system user (embedded Postgres refuses to run as root) must reach the folder.
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: dir });
  process.env.DATABASE_URL = pg.url;
  project.provide('databaseUrl', pg.url);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

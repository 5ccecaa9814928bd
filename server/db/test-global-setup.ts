/**
 * vitest globalSetup: make sure the tests have a Postgres. With DATABASE_URL set, use it;
 * otherwise start the embedded Postgres in a temp folder and stop it (and remove the folder)
 * after the run.
 */
import type { TestProject } from 'vitest/node';
import { scratchPostgres } from './scratch-postgres.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pg = await scratchPostgres(process.env.DATABASE_URL);
  process.env.DATABASE_URL = pg.url;
  project.provide('databaseUrl', pg.url);
  return () => pg.stop();
}

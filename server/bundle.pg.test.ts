// @vitest-environment node
/**
 * What `npm start` runs: the esbuild bundle (dist-server/main.js), started as its own process
 * with nothing but environment variables. It finds its migrations and the shipped playbooks from
 * the bundle's location (a bundle once resolved the repository root wrongly and loaded no
 * playbooks, which no test run from the sources could see), answers, and stops on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../scripts/build.mjs';
import { createTestDatabase, type TestDatabase } from './db/test-database.ts';

const root = new URL('..', import.meta.url).pathname;
const admin = { email: 'bundle-admin@example.test', password: 'bundle admin password 1' };
let db: TestDatabase;
let dataDir: string;
let child: ChildProcess;
let url = '';
let output = '';

beforeAll(async () => {
  await buildServer();
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'bundle-'));
  child = spawn(process.execPath, [join(root, 'dist-server/main.js')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bundled server did not say it was listening:\n${output}`)), 45_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const port = /"port":(\d+)[^\n]*Sentpilot listening/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the bundled server exited with ${code}:\n${output}`)));
  });
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the bundled server (npm start)', () => {
  it('migrates, serves the API, loads every shipped playbook, and stops cleanly on SIGTERM', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const workflows = (await (await fetch(`${url}/api/v1/workflows`, { headers: { cookie } })).json()) as { items: { id: string }[]; refused: unknown[] };
    const shipped = (await readdir(join(root, 'playbooks'))).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(shipped.length).toBeGreaterThanOrEqual(6);
    expect(workflows.items.map((w) => w.id).sort()).toEqual(shipped.sort());
    expect(workflows.refused).toEqual([]);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('server closed');
  });

  it('imports openid-client, nodemailer and zip.js at their first use, not at start', async () => {
    const bundle = await readFile(join(root, 'dist-server/main.js'), 'utf8');
    for (const pkg of ['openid-client', 'nodemailer', '@zip.js/zip.js']) {
      expect(bundle, pkg).not.toMatch(new RegExp(`^import [^;]*from "${pkg}"`, 'm'));
      expect(bundle, pkg).toContain(`import("${pkg}")`);
    }
  });
});

// @vitest-environment node
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createStaticHandler } from './static-routes.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sentpilot-static-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Sentpilot</title>');
  await writeFile(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
  await writeFile(join(dir, 'assets', 'index-3f9a8b7c.js'), 'console.log(1)');
  await writeFile(join(dir, 'manifest.webmanifest'), '{}');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function app(staticDir: string): Hono {
  const a = new Hono();
  a.get('/api/v1/ping', (c) => c.json({ ok: true }));
  a.use('*', createStaticHandler({ staticDir }));
  a.notFound((c) => c.json({ error: { code: 'not_found' } }, 404));
  return a;
}

describe('static PWA', () => {
  it('serves files with the right caching', async () => {
    const a = app(dir);
    const index = await a.request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('Sentpilot');
    const sw = await a.request('/sw.js');
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const asset = await a.request('/assets/index-3f9a8b7c.js');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await a.request('/manifest.webmanifest')).status).toBe(200);
  });

  it('falls back to index.html for page paths, not for files or the API', async () => {
    const a = app(dir);
    const page = await a.request('/incidents/01900000-0000-7000-8000-000000000001');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Sentpilot</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect((await a.request('/assets/missing-12345678.js')).status).toBe(404);
    expect((await a.request('/api/v1/nothing')).status).toBe(404);
    expect((await a.request('/api/v1/ping')).status).toBe(200);
    expect((await a.request('/sync/abc')).status).toBe(404);
  });

  it('refuses path traversal', async () => {
    const a = app(join(dir, 'assets'));
    const r = await a.request('/../index.html');
    expect(await r.text()).not.toContain('<title>Sentpilot</title>');
  });

  it('says the client is not built when there is no build', async () => {
    const a = app(join(dir, 'nope'));
    const r = await a.request('/');
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('not built');
  });
});

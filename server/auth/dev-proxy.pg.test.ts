// @vitest-environment node
/**
 * `npm run dev` keeps working with the origin checks: the page is served by Vite on its own port
 * and Vite proxies /api and /sync to the server (vite.config.ts). The browser sends Vite's
 * origin; the proxy keeps its Host, so a cookie-authenticated websocket and REST write through
 * it are same-origin for the server. (With the Host rewritten to the server's, both were refused.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import WebSocket from 'ws';
import { newId } from '../../shared/ids.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let ts: TestServer;
let vite: ViteDevServer;
let viteOrigin: string;

beforeAll(async () => {
  ts = await startTestServer();
  const api = ts.server.url;
  // The project's own config; only the proxy target changes (merged over vite.config.ts).
  vite = await createServer({
    root,
    configFile: `${root}/vite.config.ts`,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: 0, proxy: { '/api': { target: api }, '/sync': { target: api, ws: true } } },
  });
  await vite.listen();
  viteOrigin = `http://127.0.0.1:${(vite.httpServer?.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await vite?.close();
  await ts?.stop();
});

describe('the Vite dev proxy', () => {
  it('passes a cookie-authenticated websocket and REST write from the Vite page', async () => {
    const analyst = await ts.as('analyst');
    const ws = new WebSocket(`${viteOrigin.replace('http', 'ws')}/sync/${newId()}`, { headers: { ...analyst.headers, origin: viteOrigin } });
    const opened = await new Promise<string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.once('open', () => resolve('open'));
      ws.once('error', (e) => resolve(`error ${e.message}`));
    });
    ws.terminate();
    expect(opened).toBe('open');

    const r = await fetch(`${viteOrigin}/api/v1/incidents`, {
      method: 'POST',
      headers: { ...analyst.headers, origin: viteOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Written through the dev proxy' }),
    });
    expect(r.status).toBe(201);
  });
});

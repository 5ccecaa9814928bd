/**
 * Cold open of an incident with 5,000 timeline entries: how long the server takes to load it from
 * Postgres and hand it to a client (fresh server process each time, so nothing is in memory), and
 * how long Chromium takes to show it (first open over the network, then from IndexedDB).
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { addTimelineEntry, createIncident } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { fmt, percentile, startServerProcess, type ServerProcess } from './server-process.ts';
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium.mjs';

const ENTRIES = 5_000;
const RUNS = 5;

function b64(u: Uint8Array): string {
  return Buffer.from(u).toString('base64');
}

/** Build the incident on a local doc and push it through the batch endpoint. */
async function seed(server: ServerProcess): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Cold open benchmark: 5,000 entries', createdBy: 'bench', severity: 'S2' });
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < ENTRIES - 1; i++) {
    addTimelineEntry(doc, {
      kind: i % 10 === 0 ? 'automation' : 'note',
      author: `analyst-${i % 7}`,
      at: new Date(start + i * 60_000).toISOString(),
      text: `Entry ${i}: observed outbound connection from WS-${i % 300} to 198.51.100.${i % 250} on port 443.`,
    });
  }
  const r = await fetch(`${server.url}/api/v1/sync/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ docs: [{ id, state_vector: b64(Y.encodeStateVector(new Y.Doc())), update: b64(Y.encodeStateAsUpdate(doc)) }] }),
  });
  if (!r.ok) throw new Error(`seeding failed: ${r.status} ${await r.text()}`);
  return id;
}

/** Time until the server's sync step 2 (the whole document) arrives, without applying it. */
function firstSyncStep2(wsUrl: string, id: string): Promise<number> {
  const t0 = performance.now();
  const ws = new WebSocket(`${wsUrl}/${id}`);
  ws.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0); // messageSync
      syncProtocol.writeSyncStep1(enc, new Y.Doc());
      ws.send(encoding.toUint8Array(enc));
    });
    ws.on('message', (data: ArrayBuffer) => {
      const dec = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(dec) !== 0 || decoding.readVarUint(dec) !== syncProtocol.messageYjsSyncStep2) return;
      const t = performance.now() - t0;
      ws.close();
      resolve(t);
    });
    ws.on('error', reject);
  });
}

function openOverSocket(wsUrl: string, id: string): Promise<number> {
  const t0 = performance.now();
  const doc = new Y.Doc({ guid: id });
  const provider = new WebsocketProvider(wsUrl, id, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
  return new Promise((resolve) => {
    provider.once('sync', () => {
      const t = performance.now() - t0;
      provider.destroy();
      doc.destroy();
      resolve(t);
    });
  });
}

async function renderInChromium(baseUrl: string, id: string): Promise<{ first: number; fromIndexedDb: number } | null> {
  const executablePath = findChromium();
  if (!executablePath) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ baseURL: baseUrl });
    await context.addInitScript(() => localStorage.setItem('sentpilot.user', JSON.stringify({ name: 'Bench' })));
    const page = await context.newPage();
    // Warm the app shell so the figure is the incident, not the first download of the bundle.
    await page.goto('/');
    await page.getByTestId('incident-list').waitFor();
    const timelineReady = `[data-testid="timeline"][data-count="${ENTRIES}"]`;
    const t0 = Date.now();
    await page.goto(`/incidents/${id}`);
    await page.locator(timelineReady).waitFor({ timeout: 60_000 });
    await page.getByTestId('timeline-entry').first().waitFor();
    const first = Date.now() - t0;
    // Second open: the document is now in IndexedDB.
    await page.goto('/');
    await page.getByTestId('incident-list').waitFor();
    const t1 = Date.now();
    await page.goto(`/incidents/${id}`);
    await page.locator(timelineReady).waitFor({ timeout: 60_000 });
    await page.getByTestId('timeline-entry').first().waitFor();
    return { first, fromIndexedDb: Date.now() - t1 };
  } finally {
    await browser.close();
  }
}

export async function benchColdOpen(databaseUrl: string): Promise<Record<string, string>> {
  let server = await startServerProcess(databaseUrl);
  const id = await seed(server);
  const loads: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    await server.stop();
    server = await startServerProcess(databaseUrl);
    if (i % 2 === 0) loads.push(await firstSyncStep2(server.wsUrl, id));
    else opens.push(await openOverSocket(server.wsUrl, id));
  }
  loads.sort((a, b) => a - b);
  opens.sort((a, b) => a - b);
  const warm = await openOverSocket(server.wsUrl, id);
  const render = await renderInChromium(server.url, id);
  await server.stop();
  return {
    'server cold load: connect → whole doc sent (median of 5)': fmt(percentile(loads, 50)),
    'server cold load (worst of 5)': fmt(loads.at(-1) ?? NaN),
    'Node y-websocket client: cold open → synced (median of 5)': fmt(percentile(opens, 50)),
    'Node y-websocket client: open, doc already in server memory': fmt(warm),
    'Chromium: first open (network → rendered)': render ? `${render.first} ms` : 'skipped (no Chromium)',
    'Chromium: reopen from IndexedDB': render ? `${render.fromIndexedDb} ms` : 'skipped (no Chromium)',
  };
}

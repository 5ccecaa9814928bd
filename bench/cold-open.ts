/**
 * Cold open of an incident with 5,000 timeline entries (BENCH_COLD_OPEN_ENTRIES): how long the server takes to load it from
 * Postgres and hand it to a client (fresh server process each time, so nothing is in memory), and
 * how long Chromium takes to show it (first open over the network, then from IndexedDB).
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { performance } from 'node:perf_hooks';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { addTimelineEntry, createIncident } from '../shared/incident-doc.ts';
import { newId } from '../shared/ids.ts';
import { GUARD_LIMITS } from '../shared/incident-guard.ts';
import { BENCH_ADMIN, fmt, percentile, startServerProcess, type ServerProcess } from './server-process.ts';
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium.mjs';

/** Entries of the incident (BENCH_COLD_OPEN_ENTRIES: 10,000 is the most devices may add, shared/incident-guard.ts). */
const ENTRIES = Number(process.env.BENCH_COLD_OPEN_ENTRIES ?? 5_000);
const RUNS = 5;

function b64(u: Uint8Array): string {
  return Buffer.from(u).toString('base64');
}

/**
 * Build the incident on a local doc and push it through the batch endpoint, at most
 * GUARD_LIMITS.entriesPerUpdate new entries per update (a larger one is refused whole).
 */
async function seed(server: ServerProcess, title: string): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  const push = async (): Promise<void> => {
    const r = await fetch(`${server.url}/api/v1/sync/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.headers },
      body: JSON.stringify({ docs: [{ id, state_vector: b64(Y.encodeStateVector(doc)), update: b64(Y.encodeStateAsUpdate(doc, sent)) }] }),
    });
    const body = (await r.json().catch(() => null)) as { errors?: { message: string }[] } | null;
    if (!r.ok || (body?.errors?.length ?? 0) > 0) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(body)}`);
    sent = Y.encodeStateVector(doc);
  };
  let sent = Y.encodeStateVector(new Y.Doc());
  createIncident(doc, { title, createdBy: 'bench', severity: 'S2' });
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < ENTRIES - 1; i++) {
    addTimelineEntry(doc, {
      kind: i % 10 === 0 ? 'automation' : 'note',
      author: `analyst-${i % 7}`,
      at: new Date(start + i * 60_000).toISOString(),
      text: `Entry ${i}: observed outbound connection from WS-${i % 300} to 198.51.100.${i % 250} on port 443.`,
    });
    if ((i + 1) % (GUARD_LIMITS.entriesPerUpdate - 100) === 0) await push();
  }
  await push();
  return id;
}

/** Time until the server's sync step 2 (the whole document) arrives, without applying it. */
function firstSyncStep2(server: ServerProcess, id: string): Promise<number> {
  const t0 = performance.now();
  const ws = new server.WebSocket(`${server.wsUrl}/${id}`);
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

function openOverSocket(server: ServerProcess, id: string): Promise<number> {
  const t0 = performance.now();
  const doc = new Y.Doc({ guid: id });
  const provider = new WebsocketProvider(server.wsUrl, id, doc, { WebSocketPolyfill: server.WebSocket as never, disableBc: true });
  return new Promise((resolve) => {
    provider.once('sync', () => {
      const t = performance.now() - t0;
      provider.destroy();
      doc.destroy();
      resolve(t);
    });
  });
}

/**
 * In the page: resolve with performance.now() at the first frame after the timeline holds all
 * its entries (a MutationObserver notices the DOM change, requestAnimationFrame waits for the
 * frame that paints it). Measured inside Chromium, so the driver's polling adds nothing.
 */
const WATCH_TIMELINE = `(count) => new Promise((resolve) => {
  const ready = () => document.querySelector('[data-testid="timeline"][data-count="' + count + '"] [data-testid="timeline-entry"]');
  const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
  if (ready()) return done();
  const mo = new MutationObserver(() => { if (ready()) { mo.disconnect(); done(); } });
  mo.observe(document, { subtree: true, childList: true, attributes: true });
})`;

/**
 * Breakdown: performance.now() at the first frame after the rest of the page has mounted too (the
 * side panels and a full page of 100 timeline rows), which a large incident defers until the
 * first frame with the title, status and top of the timeline has painted.
 */
const WATCH_COMPLETE = `(count) => new Promise((resolve) => {
  const rows = Math.min(count, 100);
  const ready = () => document.querySelector('[data-testid="clocks-panel"]') && document.querySelectorAll('[data-testid="timeline"][data-count="' + count + '"] [data-testid="timeline-entry"]').length >= rows;
  const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
  if (ready()) return done();
  const mo = new MutationObserver(() => { if (ready()) { mo.disconnect(); done(); } });
  mo.observe(document, { subtree: true, childList: true, attributes: true });
})`;

async function renderInChromium(
  baseUrl: string,
  id: string,
  title: string,
): Promise<{ first: number; fromList: number[]; fromListComplete: number[]; reload: number; noteAdds: number[]; longestTask: number } | null> {
  const executablePath = findChromium();
  if (!executablePath) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ baseURL: baseUrl });
    // Log in as the bench admin: the session cookie lands in the context.
    const login = await context.request.post('/api/v1/auth/login', { data: BENCH_ADMIN });
    if (!login.ok()) throw new Error(`browser login failed: ${login.status()}`);
    await context.addInitScript(`window.__watchTimeline = ${WATCH_TIMELINE}; window.__watchComplete = ${WATCH_COMPLETE};`);
    const page = await context.newPage();
    // Warm the app shell so the figure is the incident, not the first download of the bundle.
    await page.goto('/');
    await page.getByTestId('incident-list').waitFor();
    // 1. A device that never had the incident: full page load of its URL, from navigation start.
    await page.goto(`/incidents/${id}`);
    const first = await page.evaluate((n) => (window as unknown as { __watchTimeline(n: number): Promise<number> }).__watchTimeline(n), ENTRIES);
    // 2. The usual way: from the list, the incident already in IndexedDB (in-app navigation).
    const fromList: number[] = [];
    const fromListComplete: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto('/');
      await page.getByTestId('incident-row').filter({ hasText: title }).waitFor();
      await page.waitForTimeout(300);
      const [shownAt, completeAt] = await page.evaluate(
        async ([n, t]) => {
          const w = window as unknown as { __watchTimeline(n: number): Promise<number>; __watchComplete(n: number): Promise<number> };
          const row = [...document.querySelectorAll('[data-testid="incident-row"]')].find((r) => r.textContent?.includes(t));
          const link = row?.querySelector('a') ?? (row as HTMLElement | undefined);
          const t0 = performance.now();
          const shown = w.__watchTimeline(n);
          const complete = w.__watchComplete(n);
          link?.click();
          return [(await shown) - t0, (await complete) - t0] as const;
        },
        [ENTRIES, title] as const,
      );
      fromList.push(shownAt);
      fromListComplete.push(completeAt);
    }
    // 3. Reload of the incident's URL: app start + IndexedDB, from navigation start.
    await page.reload();
    const reload = await page.evaluate((n) => (window as unknown as { __watchTimeline(n: number): Promise<number> }).__watchTimeline(n), ENTRIES);
    // 4. Responsive while open: a note added with the composer, from the click to the frame that
    // shows it, and the longest main-thread task meanwhile (a page frozen by the size would show here).
    await page.getByTestId('clocks-panel').waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { __longest: number };
      w.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
      }).observe({ type: 'longtask' });
    });
    const noteAdds: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.getByTestId('note-input').fill(`Responsiveness probe ${i}`);
      noteAdds.push(
        await page.evaluate(
          async (n) => {
            const w = window as unknown as { __watchTimeline(n: number): Promise<number> };
            const t0 = performance.now();
            const shown = w.__watchTimeline(n);
            (document.querySelector('[data-testid="add-note"]') as HTMLButtonElement).click();
            return (await shown) - t0;
          },
          ENTRIES + i + 1,
        ),
      );
    }
    const longestTask = await page.evaluate(() => (window as unknown as { __longest: number }).__longest);
    return {
      first,
      fromList: fromList.sort((a, b) => a - b),
      fromListComplete: fromListComplete.sort((a, b) => a - b),
      reload,
      noteAdds: noteAdds.sort((a, b) => a - b),
      longestTask,
    };
  } finally {
    await browser.close();
  }
}

export async function benchColdOpen(databaseUrl: string): Promise<Record<string, string>> {
  let server = await startServerProcess(databaseUrl);
  const title = `Cold open benchmark: ${ENTRIES.toLocaleString('en')} entries (${Date.now()})`;
  const id = await seed(server, title);
  const loads: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    await server.stop();
    server = await startServerProcess(databaseUrl);
    if (i % 2 === 0) loads.push(await firstSyncStep2(server, id));
    else opens.push(await openOverSocket(server, id));
  }
  loads.sort((a, b) => a - b);
  opens.sort((a, b) => a - b);
  const warm = await openOverSocket(server, id);
  const render = await renderInChromium(server.url, id, title);
  await server.stop();
  return {
    'server cold load: connect → whole doc sent (median of 5)': fmt(percentile(loads, 50)),
    'server cold load (worst of 5)': fmt(loads.at(-1) ?? NaN),
    'Node y-websocket client: cold open → synced (median of 5)': fmt(percentile(opens, 50)),
    'Node y-websocket client: open, doc already in server memory': fmt(warm),
    'Chromium: open from the list, in IndexedDB (median of 5)': render ? fmt(percentile(render.fromList, 50)) : 'skipped (no Chromium)',
    'Chromium: open from the list (worst of 5)': render ? fmt(render.fromList.at(-1) ?? NaN) : 'skipped (no Chromium)',
    'Chromium: open from the list → side panels and 100 rows mounted (median of 5)': render
      ? fmt(percentile(render.fromListComplete, 50))
      : 'skipped (no Chromium)',
    'Chromium: reload of the incident URL (app start + IndexedDB)': render ? fmt(render.reload) : 'skipped (no Chromium)',
    'Chromium: first open on a new device (page load + network)': render ? fmt(render.first) : 'skipped (no Chromium)',
    'Chromium: add a note with the composer → shown (median of 5)': render ? fmt(percentile(render.noteAdds, 50)) : 'skipped (no Chromium)',
    'Chromium: longest main-thread task while adding notes': render ? fmt(render.longestTask) : 'skipped (no Chromium)',
  };
}

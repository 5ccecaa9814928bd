// @vitest-environment node
/**
 * Cross-site websocket hijacking: a page on another port of the same host is "same-site", so
 * the browser sends the SameSite=Strict cookie on its websocket. The upgrade checks Origin: a
 * foreign one, or a cookie without any, is refused with 403 before the handshake (nothing read,
 * nothing written); the server's own origin works; a bearer token without Origin works. With
 * PUBLIC_URL set, only its origin and ALLOWED_ORIGINS are accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createIncident, readIncident, readMeta, setFields } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { loadConfig } from '../config.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';
import { connectClient, pageOrigin, startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createOriginPolicy, parseAllowedOrigins } from './origin-policy.ts';

let ts: TestServer;
let incident: string;

beforeAll(async () => {
  ts = await startTestServer();
  incident = newId();
  const doc = new Y.Doc({ guid: incident });
  createIncident(doc, { title: 'Original title', createdBy: 'tester' });
  await ts.server.docs.withDoc(incident, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  // The server writes the incident's key once it projects it: let that happen before counting.
  await waitFor(() => ts.server.docs.withDoc(incident, (doc) => readMeta(doc).key !== null), { message: 'the incident key' });
  await ts.server.docs.flush();
});
afterAll(async () => {
  await ts.stop();
});

type Outcome = { kind: 'refused'; status: number } | { kind: 'open'; ws: WebSocket; messages: Buffer[] };

/** Open a raw socket with exactly these headers; the HTTP status when the upgrade is refused. */
function open(url: string, headers: Record<string, string>): Promise<Outcome> {
  const ws = new WebSocket(url, { headers });
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve({ kind: 'refused', status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('open', () => resolve({ kind: 'open', ws, messages }));
    ws.once('error', (e) => reject(e));
  });
}

const storedUpdates = async (id: string): Promise<number> =>
  (await ts.server.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM doc_updates WHERE doc_id = ${id}`)[0]?.n ?? 0;
const serverTitle = () => ts.server.docs.withDoc(incident, (doc) => readIncident(doc)?.incident.meta.title);

describe('ID8: the websocket upgrade checks Origin', () => {
  it('refuses a cookie socket from another port of the same host with 403: nothing read, nothing written', async () => {
    const analyst = await ts.as('analyst');
    const before = await storedUpdates(incident);
    const foreign = `http://127.0.0.1:${ts.server.port + 1}`;
    const r = await open(`${ts.wsUrl}/${incident}`, { ...analyst.headers, origin: foreign });
    expect(r).toEqual({ kind: 'refused', status: 403 });
    // Another host name for the same machine, and an opaque origin, are refused too.
    for (const origin of [`http://localhost:${ts.server.port}`, 'null', 'not a url']) {
      expect(await open(`${ts.wsUrl}/${incident}`, { ...analyst.headers, origin })).toEqual({ kind: 'refused', status: 403 });
    }
    await ts.server.docs.flush();
    expect(await storedUpdates(incident)).toBe(before);
    expect(await serverTitle()).toBe('Original title');
  });

  it('refuses a cookie socket without Origin, and a bearer socket with a foreign Origin', async () => {
    const analyst = await ts.as('analyst');
    expect(await open(`${ts.wsUrl}/${incident}`, analyst.headers)).toEqual({ kind: 'refused', status: 403 });
    const token = await ts.token('analyst');
    expect(await open(`${ts.wsUrl}/${incident}`, { ...token.headers, origin: 'http://evil.example' })).toEqual({ kind: 'refused', status: 403 });
  });

  it('accepts the server’s own origin with the cookie (a stock client reads and writes), and a bearer token without Origin', async () => {
    const analyst = await ts.as('analyst');
    const same = await open(`${ts.wsUrl}/${incident}`, { ...analyst.headers, origin: pageOrigin(ts.wsUrl) });
    expect(same.kind).toBe('open');
    if (same.kind === 'open') {
      await waitFor(() => same.messages.length > 0, { message: 'the server’s sync step 1' });
      same.ws.close();
    }
    // connectClient sends the server's own Origin with a cookie, as the app's pages do.
    const c = connectClient(ts.wsUrl, incident, { as: analyst });
    try {
      await c.synced();
      expect(readIncident(c.doc)?.incident.meta.title).toBe('Original title');
      expect(setFields(c.doc, { title: 'Written same-origin' }, 'analyst').ok).toBe(true);
      await waitFor(async () => (await serverTitle()) === 'Written same-origin', { message: 'the same-origin write' });
    } finally {
      c.destroy();
    }

    const token = await ts.token('analyst');
    const bearer = await open(`${ts.wsUrl}/${incident}`, token.headers);
    expect(bearer.kind).toBe('open');
    if (bearer.kind === 'open') bearer.ws.close();
  });
});

describe('ID8: with PUBLIC_URL set', () => {
  let pinned: TestServer;
  let viewer: TestIdentity;
  beforeAll(async () => {
    pinned = await startTestServer({ db: ts.db, auth: { publicUrl: 'https://ir.example.com', allowedOrigins: ['http://localhost:5173'] } });
    viewer = await pinned.as('viewer');
  });
  afterAll(async () => {
    await pinned.stop();
  });

  it('accepts PUBLIC_URL’s origin and ALLOWED_ORIGINS, and nothing else (not even the Host it was reached at)', async () => {
    for (const origin of ['https://ir.example.com', 'http://localhost:5173']) {
      const r = await open(`${pinned.wsUrl}/${incident}`, { ...viewer.headers, origin });
      expect(r.kind, origin).toBe('open');
      if (r.kind === 'open') r.ws.close();
    }
    for (const origin of [pageOrigin(pinned.wsUrl), 'http://ir.example.com', 'http://localhost:5174']) {
      expect(await open(`${pinned.wsUrl}/${incident}`, { ...viewer.headers, origin }), origin).toEqual({ kind: 'refused', status: 403 });
    }
  });
});

describe('ID8: the origin policy', () => {
  it('parses ALLOWED_ORIGINS and names a bad entry', () => {
    expect(parseAllowedOrigins(' https://a.example , http://localhost:5173 ,')).toEqual({ ok: true, value: ['https://a.example', 'http://localhost:5173'] });
    expect(parseAllowedOrigins('https://a.example/app')).toMatchObject({ ok: false });
    expect(parseAllowedOrigins('ftp://a.example')).toMatchObject({ ok: false });
    const c = loadConfig({ ALLOWED_ORIGINS: 'http://localhost:5173' });
    expect(c.ok && c.value.auth.allowedOrigins).toEqual(['http://localhost:5173']);
    const bad = loadConfig({ ALLOWED_ORIGINS: 'localhost:5173' });
    expect(!bad.ok && bad.error).toContain('ALLOWED_ORIGINS');
  });

  it('without PUBLIC_URL falls back to the Host the request addressed (host and port)', () => {
    const p = createOriginPolicy({});
    expect(p.allows('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(p.allows('http://127.0.0.1:5173', '127.0.0.1:8080')).toBe(false);
    expect(p.allows('https://ir.example.com', 'ir.example.com')).toBe(true);
    expect(p.allows('https://ir.example.com', 'ir.example.com:8443')).toBe(false);
    expect(p.allows('null', '127.0.0.1:8080')).toBe(false);
    expect(p.allows('http://127.0.0.1:8080', undefined)).toBe(false);
  });
});

/**
 * Test double of the server's sync endpoints as a `fetch` function: POST /api/v1/sync/batch,
 * GET /api/v1/sync/changes and GET /healthz over in-memory Y.Docs, with switches for going
 * offline, refusing chosen documents and failing whole requests. It records every request body.
 */
import * as Y from 'yjs';
import { syncBatchRequest, type SyncBatchRequest } from '../../../shared/api.ts';
import { fromB64, toB64 } from '../state-vectors.ts';

export interface FakeSyncServer {
  fetch(input: string, init?: RequestInit): Promise<Response>;
  docs: Map<string, Y.Doc>;
  /** Every batch request body received, parsed. */
  batches: SyncBatchRequest[];
  /** Every URL requested. */
  calls: string[];
  offline: boolean;
  /** Per-document refusals: id → code. */
  refuse: Map<string, string>;
  /** Answer every request with this HTTP status (e.g. 503) when set. */
  failWith: number | null;
  /** Answer every API request 401 (the session expired) while set; /healthz still answers. */
  unauthenticated: boolean;
  /** Record a change made on the server side (another device). */
  touch(id: string): void;
  doc(id: string): Y.Doc;
}

export function createFakeSyncServer(): FakeSyncServer {
  const docs = new Map<string, Y.Doc>();
  const log: { id: string; seq: number }[] = [];
  let seq = 0;
  const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const docOf = (id: string): Y.Doc => {
    let d = docs.get(id);
    if (!d) {
      d = new Y.Doc({ guid: id });
      docs.set(id, d);
    }
    return d;
  };
  const server: FakeSyncServer = {
    docs,
    batches: [],
    calls: [],
    offline: false,
    refuse: new Map(),
    failWith: null,
    unauthenticated: false,
    touch(id) {
      log.push({ id, seq: ++seq });
    },
    doc: docOf,
    async fetch(input, init) {
      server.calls.push(input);
      if (server.offline) throw new TypeError('Failed to fetch');
      if (server.failWith !== null) return json(server.failWith, { error: { code: 'unavailable', message: 'down for maintenance' } });
      const url = new URL(input, 'http://device.test');
      if (url.pathname === '/healthz') return json(200, { ok: true });
      if (server.unauthenticated) return json(401, { error: { code: 'unauthenticated', message: 'Your session has expired; log in again.' } });
      if (url.pathname === '/api/v1/sync/changes') {
        const since = Number(url.searchParams.get('since') ?? '0');
        const limit = Number(url.searchParams.get('limit') ?? '1000');
        const after = log.filter((c) => c.seq > since);
        const page = after.slice(0, limit);
        return json(200, { changes: page, cursor: page.at(-1)?.seq ?? since, more: after.length > page.length });
      }
      if (url.pathname === '/api/v1/sync/batch' && init?.method === 'POST') {
        const parsed = syncBatchRequest.safeParse(JSON.parse(String(init.body)));
        if (!parsed.success) return json(400, { error: { code: 'bad_request', message: parsed.error.message } });
        server.batches.push(parsed.data);
        const out: { id: string; update: string; state_vector: string }[] = [];
        const errors: { id: string; code: string; message: string }[] = [];
        for (const d of parsed.data.docs) {
          const code = server.refuse.get(d.id);
          if (code) {
            errors.push({ id: d.id, code, message: `refused: ${code}` });
            continue;
          }
          const doc = docOf(d.id);
          if (d.update) {
            const before = Y.encodeStateVector(doc);
            Y.applyUpdate(doc, fromB64(d.update));
            if (toB64(before) !== toB64(Y.encodeStateVector(doc))) server.touch(d.id);
          }
          out.push({ id: d.id, update: toB64(Y.encodeStateAsUpdate(doc, fromB64(d.state_vector))), state_vector: toB64(Y.encodeStateVector(doc)) });
        }
        return json(200, { docs: out, errors });
      }
      return json(404, { error: { code: 'not_found', message: `no route ${url.pathname}` } });
    },
  };
  return server;
}

// @vitest-environment node
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { connect } from './db/connect.ts';
import { createLogger } from './logger.ts';
import { createIdentity } from './auth/identity.ts';
import { createDocumentManager } from './sync/document-manager.ts';
import { createMemoryDocumentStore } from './sync/memory-document-store.ts';

const logger = createLogger({ level: 'silent' });
// Nothing listens on port 1: every query fails fast.
const sql = connect('postgres://nobody@127.0.0.1:1/none', { max: 1 });
const store = createMemoryDocumentStore();
const docs = createDocumentManager({ store, logger });
const identity = createIdentity({ sql, logger, options: {}, port: 0 });
const app = createApp({ sql, docs, store, logger, identity });

afterAll(async () => {
  await docs.close();
  await sql.end({ timeout: 1 });
});

describe('app', () => {
  it('reports 503 on /healthz when the database does not answer', async () => {
    const r = await app.request('/healthz');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  });

  it('ID1: answers unknown paths with a JSON 404, and unknown API paths with 401 before anything else', async () => {
    const r = await app.request('/nope');
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 'not_found' } });
    const a = await app.request('/api/v1/nope');
    expect(a.status).toBe(401);
  });

  it('ID1: refuses unauthenticated API requests before validating or touching the database', async () => {
    const r = await app.request('/api/v1/incidents?limit=9999');
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('ID1: serves the public auth config without a session', async () => {
    const r = await app.request('/api/v1/auth/config');
    expect(await r.json()).toEqual({ sso: false, sso_label: null });
  });
});

// @vitest-environment node
/**
 * The negative test matrix: every /api/v1 route against every kind of identity (none, an expired
 * session, a revoked session, a revoked token, a disabled user, each role, a guest of another
 * incident, read-only and read-write guests, a scoped token). Each request is either allowed
 * (any status but 401/403) or refused with exactly 401/403 and a clear message, and a refused
 * request changes nothing in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createIncident } from '../../shared/incident-doc.ts';
import { newId } from '../../shared/ids.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { BATCH_ORIGIN } from '../sync/routes.ts';

let ts: TestServer;
let incidentA: string;
let incidentB: string;
const who: Record<string, TestIdentity | null> = {};
/** Expected refusal per identity kind, for identities that are not authenticated. */
const UNAUTH: Record<string, string> = {
  none: 'Authentication required',
  expired: 'Your session has expired; log in again.',
  revoked: 'Your session has expired; log in again.',
  revokedToken: 'Your session has expired; log in again.',
  disabled: 'This account is disabled.',
};

async function makeIncident(): Promise<string> {
  const id = newId();
  const doc = new Y.Doc({ guid: id });
  createIncident(doc, { title: 'Matrix', createdBy: 'tester' });
  await ts.server.docs.withDoc(id, (_d, h) => {
    const r = h.applyUpdate(Y.encodeStateAsUpdate(doc), BATCH_ORIGIN);
    if (!r.ok) throw new Error(r.error);
  });
  await ts.server.docs.flush();
  await ts.server.projector.flush();
  return id;
}

beforeAll(async () => {
  ts = await startTestServer();
  incidentA = await makeIncident();
  incidentB = await makeIncident();
  const sql = ts.server.sql;
  who.none = null;
  who.expired = await ts.as('analyst');
  await sql`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = ${who.expired.credentialId}`;
  who.revoked = await ts.as('admin');
  await sql`UPDATE sessions SET revoked_at = now() WHERE id = ${who.revoked.credentialId}`;
  who.revokedToken = await ts.token('admin');
  await sql`UPDATE api_tokens SET revoked_at = now() WHERE id = ${who.revokedToken.credentialId}`;
  who.disabled = await ts.as('admin');
  await sql`UPDATE users SET disabled = true WHERE id = ${who.disabled.user.id}`;
  for (const r of ['viewer', 'analyst', 'lead', 'admin'] as const) who[r] = await ts.as(r);
  who.guestReadA = await ts.as('guest', { grants: { [incidentA]: 'read' } });
  who.guestWriteA = await ts.as('guest', { grants: { [incidentA]: 'write' } });
  who.guestB = await ts.as('guest', { grants: { [incidentB]: 'write' } });
  who.viewerToken = await ts.token('viewer');
  who.scopedToken = await ts.token('admin', ['incident:read']);
});
afterAll(async () => {
  await ts.stop();
});

/** Row counts and revocations: a refused request must leave all of them as they were. */
async function state(): Promise<unknown> {
  const [r] = await ts.server.sql`
    SELECT (SELECT count(*) FROM users)::int AS users,
           (SELECT count(*) FROM users WHERE disabled)::int AS disabled,
           (SELECT string_agg(role, ',' ORDER BY id) FROM users) AS roles,
           (SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL)::int AS revoked_sessions,
           (SELECT count(*) FROM api_tokens)::int AS tokens,
           (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL)::int AS revoked_tokens,
           (SELECT count(*) FROM guest_grants)::int AS grants,
           (SELECT count(*) FROM invites)::int AS invites,
           (SELECT count(*) FROM doc_updates)::int AS updates,
           (SELECT count(*) FROM audit_log)::int AS audit`;
  return r;
}

type Allowed = readonly string[];
const ALL_AUTHED = ['viewer', 'analyst', 'lead', 'admin', 'guestReadA', 'guestWriteA', 'guestB', 'viewerToken', 'scopedToken'];
const ADMINS = ['admin'];
const LEADS = ['lead', 'admin'];
const READERS_A = ['viewer', 'analyst', 'lead', 'admin', 'guestReadA', 'guestWriteA', 'viewerToken', 'scopedToken'];
const READERS = ['viewer', 'analyst', 'lead', 'admin', 'viewerToken', 'scopedToken'];
const WRITERS = ['analyst', 'lead', 'admin'];
const WRITERS_A = [...WRITERS, 'guestWriteA'];

interface Route {
  name: string;
  allowed: Allowed;
  call(as: TestIdentity | null): Promise<Response>;
}

let n = 0;
const routes = (): Route[] => [
  { name: 'GET /incidents', allowed: ALL_AUTHED, call: (as) => ts.fetch('/api/v1/incidents', { as }) },
  { name: 'GET /incidents/:id', allowed: READERS_A, call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}`, { as }) },
  {
    name: 'GET /incidents/:id (missing)',
    allowed: ['viewer', 'analyst', 'lead', 'admin', 'viewerToken', 'scopedToken'],
    call: (as) => ts.fetch(`/api/v1/incidents/${newId()}`, { as }),
  },
  { name: 'GET /incidents/:id/timeline', allowed: READERS_A, call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/timeline`, { as }) },
  // The incident write API, queue, metrics, templates and the API description (issue 4).
  {
    name: 'POST /incidents',
    allowed: WRITERS,
    call: (as) => ts.fetch('/api/v1/incidents', { as, method: 'POST', json: { title: `Matrix ${++n}`, template: 'phishing' } }),
  },
  {
    name: 'PATCH /incidents/:id',
    allowed: WRITERS_A,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}`, { as, method: 'PATCH', json: { title: `A ${++n}`, tags: { add: ['matrix'] } } }),
  },
  {
    name: 'PATCH /incidents/:id (link B)',
    allowed: WRITERS,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}`, { as, method: 'PATCH', json: { title: `A ${++n}`, related_incidents: { add: [incidentB] } } }),
  },
  {
    name: 'POST /incidents/:id/events',
    allowed: WRITERS_A,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/events`, { as, method: 'POST', json: { kind: 'note', text: 'matrix' } }),
  },
  {
    name: 'POST /incidents/:id/related/:other',
    allowed: WRITERS,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/related/${incidentB}`, { as, method: 'POST' }),
  },
  {
    name: 'DELETE /incidents/:id/related/:other',
    allowed: WRITERS,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/related/${incidentB}`, { as, method: 'DELETE' }),
  },
  // A lead corrects a stamped time (issue 20); 409 for the allowed ones: nothing is stamped on A.
  {
    name: 'POST /incidents/:id/milestones',
    allowed: LEADS,
    call: (as) =>
      ts.fetch(`/api/v1/incidents/${incidentA}/milestones`, {
        as,
        method: 'POST',
        json: { field: 'contained_at', at: '2026-01-01T00:00:00.000Z', reason: 'matrix' },
      }),
  },
  { name: 'POST /incidents/:id/prioritize', allowed: WRITERS_A, call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/prioritize`, { as, method: 'POST' }) },
  { name: 'GET /incidents/priority-queue', allowed: ALL_AUTHED, call: (as) => ts.fetch('/api/v1/incidents/priority-queue', { as }) },
  { name: 'GET /metrics', allowed: READERS, call: (as) => ts.fetch('/api/v1/metrics', { as }) },
  { name: 'GET /templates', allowed: READERS, call: (as) => ts.fetch('/api/v1/templates', { as }) },
  { name: 'GET /templates/:category/fields', allowed: READERS, call: (as) => ts.fetch('/api/v1/templates/phishing/fields', { as }) },
  {
    name: 'PUT /templates/:category/fields',
    allowed: LEADS,
    call: (as) =>
      ts.fetch('/api/v1/templates/phishing/fields', { as, method: 'PUT', json: { fields: [{ name: 'reported_via', type: 'string', required: false }] } }),
  },
  { name: 'GET /openapi.json', allowed: ALL_AUTHED, call: (as) => ts.fetch('/api/v1/openapi.json', { as }) },
  { name: 'GET /sync/changes', allowed: ALL_AUTHED, call: (as) => ts.fetch('/api/v1/sync/changes', { as }) },
  {
    name: 'POST /sync/batch (read only)',
    allowed: ALL_AUTHED,
    call: (as) => ts.fetch('/api/v1/sync/batch', { as, method: 'POST', json: { docs: [{ id: incidentA }] } }),
  },
  {
    name: 'GET /auth/me',
    allowed: ['viewer', 'analyst', 'lead', 'admin', 'guestReadA', 'guestWriteA', 'guestB'],
    call: (as) => ts.fetch('/api/v1/auth/me', { as }),
  },
  { name: 'GET /users', allowed: ADMINS, call: (as) => ts.fetch('/api/v1/users', { as }) },
  { name: 'GET /users/directory', allowed: READERS, call: (as) => ts.fetch('/api/v1/users/directory', { as }) },
  { name: 'POST /users/:id/invite', allowed: ADMINS, call: (as) => ts.fetch(`/api/v1/users/${who.viewer?.user.id}/invite`, { as, method: 'POST' }) },
  {
    name: 'POST /users',
    allowed: ADMINS,
    call: (as) => ts.fetch('/api/v1/users', { as, method: 'POST', json: { email: `m${++n}@test.local`, display_name: 'M', role: 'viewer' } }),
  },
  {
    name: 'PATCH /users/:id',
    allowed: ADMINS,
    call: (as) => ts.fetch(`/api/v1/users/${who.viewer?.user.id}`, { as, method: 'PATCH', json: { role: 'analyst' } }),
  },
  {
    name: 'POST /users/:id/revoke-sessions',
    allowed: ADMINS,
    call: (as) => ts.fetch(`/api/v1/users/${who.expired?.user.id}/revoke-sessions`, { as, method: 'POST' }),
  },
  { name: 'GET /tokens', allowed: ADMINS, call: (as) => ts.fetch('/api/v1/tokens', { as }) },
  { name: 'POST /tokens', allowed: ADMINS, call: (as) => ts.fetch('/api/v1/tokens', { as, method: 'POST', json: { name: `t${++n}`, role: 'viewer' } }) },
  { name: 'DELETE /tokens/:id', allowed: ADMINS, call: (as) => ts.fetch(`/api/v1/tokens/${who.viewerToken?.credentialId}`, { as, method: 'DELETE' }) },
  { name: 'GET /incidents/:id/guests', allowed: LEADS, call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/guests`, { as }) },
  {
    name: 'POST /incidents/:id/guests',
    allowed: LEADS,
    call: (as) =>
      ts.fetch(`/api/v1/incidents/${incidentA}/guests`, { as, method: 'POST', json: { email: `g${++n}@ext.test`, display_name: 'G', access: 'read' } }),
  },
  {
    name: 'DELETE /incidents/:id/guests/:userId',
    allowed: LEADS,
    call: (as) => ts.fetch(`/api/v1/incidents/${incidentA}/guests/${who.guestReadA?.user.id}`, { as, method: 'DELETE' }),
  },
  { name: 'GET /audit-logs', allowed: LEADS, call: (as) => ts.fetch('/api/v1/audit-logs', { as }) },
  { name: 'GET /audit-logs/verify', allowed: LEADS, call: (as) => ts.fetch('/api/v1/audit-logs/verify', { as }) },
];

describe('access matrix', () => {
  it('ID1, ID2: refuses every route with exactly 401/403, a clear message and no change, and allows what each role may do', async () => {
    const kinds = Object.keys(who);
    const rows: string[] = [];
    for (const route of routes()) {
      for (const kind of kinds) {
        // Allowed writes run last (below), so a refusal's "no change" is not confused with them.
        if (route.allowed.includes(kind)) continue;
        const before = await state();
        const r = await route.call(who[kind] ?? null);
        const body = (await r.json()) as { error?: { code: string; message: string } };
        const expected = kind in UNAUTH ? 401 : 403;
        rows.push(`${route.name} as ${kind}: ${r.status}`);
        expect(r.status, `${route.name} as ${kind}`).toBe(expected);
        expect(body.error?.code).toBe(expected === 401 ? 'unauthenticated' : 'forbidden');
        if (expected === 401) expect(body.error?.message).toContain(UNAUTH[kind]);
        else expect(body.error?.message).toMatch(/lacks [a-z]+:[a-z]+|token/);
        expect(await state(), `${route.name} as ${kind} changed nothing`).toEqual(before);
      }
    }
    expect(rows.length).toBeGreaterThan(100);
    for (const route of routes()) {
      for (const kind of route.allowed) {
        const r = await route.call(who[kind] ?? null);
        expect([401, 403], `${route.name} as ${kind} is allowed (got ${r.status})`).not.toContain(r.status);
        expect(r.status).toBeLessThan(500);
      }
    }
  });

  it('ID2: a guest asking for an incident it is not invited to gets the same 403 whether it exists or not', async () => {
    const guest = who.guestB ?? null;
    const existing = await ts.fetch(`/api/v1/incidents/${incidentA}`, { as: guest });
    const missing = await ts.fetch(`/api/v1/incidents/${newId()}`, { as: guest });
    expect(existing.status).toBe(403);
    expect(missing.status).toBe(403);
  });

  it('SY22: lists only invited incidents to a guest, and only readable changes', async () => {
    const list = (await (await ts.fetch('/api/v1/incidents', { as: who.guestB ?? null })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([incidentB]);
    const changes = (await (await ts.fetch('/api/v1/sync/changes', { as: who.guestB ?? null })).json()) as { changes: { id: string }[] };
    expect(changes.changes.map((c) => c.id)).toEqual([incidentB]);
    const all = (await (await ts.fetch('/api/v1/incidents', { as: who.viewer ?? null })).json()) as { items: { id: string }[] };
    // Every incident, including those the allowed POST /incidents calls created.
    expect(all.items.map((i) => i.id)).toEqual(expect.arrayContaining([incidentA, incidentB]));
  });

  it('ID8: refuses cookie-authenticated writes without JSON or from another origin (CSRF)', async () => {
    const before = await state();
    const form = await ts.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x&role=admin',
    });
    expect(form.status).toBe(403);
    const cross = await ts.fetch('/api/v1/tokens', { method: 'POST', headers: { origin: 'https://evil.example' }, json: { name: 'x', role: 'admin' } });
    expect(cross.status).toBe(403);
    expect(((await cross.json()) as { error: { message: string } }).error.message).toContain('Origin');
    expect(await state()).toEqual(before);
    const same = await ts.fetch('/api/v1/tokens', { method: 'POST', headers: { origin: ts.server.url }, json: { name: 'same origin', role: 'viewer' } });
    expect(same.status).toBe(201);
  });
});

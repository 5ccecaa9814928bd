import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMiddleware, type AuthEnv } from '../auth/middleware.ts';
import { createErrorHandler } from '../http/errors.ts';
import { startTestServer, type TestIdentity, type TestServer } from '../testing/test-server.ts';
import { createConnectorRoutes, createConnectorStore, type ConnectorStore } from './connectors.ts';
import { createSecretBox } from './secret-box.ts';
import { fakeContext, runAction } from './actions/fake-context.ts';
import { ACTIONS } from './actions/registry.ts';

const API_KEY = 'fw-api-key-7c1e5b0a9d';
const DLP = 'dlp-token-41f0aa2b6e';
let ts: TestServer;
let app: Hono<AuthEnv>;
let store: ConnectorStore;
let lead: TestIdentity;
let analyst: TestIdentity;

beforeAll(async () => {
  ts = await startTestServer();
  store = createConnectorStore(ts.server.sql, createSecretBox({ id: 'test', key: randomBytes(32) }));
  app = new Hono<AuthEnv>();
  app.onError(createErrorHandler(ts.server.logger));
  app.use('*', authMiddleware(ts.server.identity.auth));
  app.route('/', createConnectorRoutes({ sql: ts.server.sql, store, audit: ts.server.identity.audit }));
  lead = await ts.as('lead');
  analyst = await ts.as('analyst');
});
afterAll(() => ts.stop());

const call = (path: string, who: TestIdentity, init: { method?: string; json?: unknown } = {}) =>
  app.request(path, {
    method: init.method ?? 'GET',
    headers: { ...who.headers, 'content-type': 'application/json' },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });

describe('connector routes', () => {
  it('ID2: are for admins only: 403 for a lead or analyst, whether or not the connector exists', async () => {
    for (const who of [lead, analyst]) {
      expect((await call('/connectors', who)).status).toBe(403);
      expect((await call('/connectors/firewall', who, { method: 'PUT', json: { endpoint: 'https://fw.example', secrets: { api_key: API_KEY } } })).status).toBe(
        403,
      );
      expect((await call('/connectors/no-such', who, { method: 'PUT', json: { endpoint: null } })).status).toBe(403);
      expect((await call('/connectors/firewall', who, { method: 'DELETE' })).status).toBe(403);
      expect((await call('/secrets', who)).status).toBe(403);
      expect((await call('/secrets/DLP_TOKEN', who, { method: 'PUT', json: { value: DLP } })).status).toBe(403);
    }
    expect(await store.connector('firewall')).toBeNull();
  });

  it('lists every known connector, unconfigured ones included', async () => {
    const res = await call('/connectors', ts.admin);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { name: string; configured: boolean; secret_fields: string[] }[] };
    expect(items.map((i) => i.name)).toEqual(
      expect.arrayContaining(['firewall', 'proxy', 'identity', 'edr', 'mail', 'virustotal', 'abuseipdb', 'slack', 'teams']),
    );
    expect(items.find((i) => i.name === 'edr')).toMatchObject({ configured: false, secret_fields: ['api_key'] });
  });

  it('PB22: stores a connector with its secret sealed, never returns the secret, and hands it decrypted to actions', async () => {
    const res = await call('/connectors/firewall', ts.admin, {
      method: 'PUT',
      json: { endpoint: 'https://fw.corp.example/api', settings: { zone: 'dmz' }, secrets: { api_key: API_KEY } },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(API_KEY);
    expect(JSON.parse(text)).toMatchObject({
      name: 'firewall',
      configured: true,
      endpoint: 'https://fw.corp.example/api',
      settings: { zone: 'dmz' },
      secrets_set: ['api_key'],
    });
    const list = await (await call('/connectors', ts.admin)).text();
    expect(list).not.toContain(API_KEY);
    const [row] = await ts.server.sql<{ secrets: Uint8Array }[]>`SELECT secrets FROM connector_configs WHERE name = 'firewall'`;
    expect(Buffer.from(row?.secrets ?? []).toString('latin1')).not.toContain(API_KEY);
    expect(await store.connector('firewall')).toEqual({ endpoint: 'https://fw.corp.example/api', settings: { zone: 'dmz' }, secrets: { api_key: API_KEY } });
  });

  it('a PUT without secrets keeps the stored ones', async () => {
    await call('/connectors/edr', ts.admin, { method: 'PUT', json: { endpoint: 'https://edr.example', secrets: { api_key: API_KEY } } });
    const res = await call('/connectors/edr', ts.admin, { method: 'PUT', json: { endpoint: 'https://edr2.example' } });
    expect(await res.json()).toMatchObject({ endpoint: 'https://edr2.example', secrets_set: ['api_key'] });
    expect((await store.connector('edr'))?.secrets).toEqual({ api_key: API_KEY });
  });

  it('refuses an unknown connector (404), an unknown secret field and a bad endpoint (400, naming the field)', async () => {
    const unknown = await call('/connectors/nope', ts.admin, { method: 'PUT', json: { endpoint: null } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/no connector "nope"/);
    const field = await call('/connectors/proxy', ts.admin, { method: 'PUT', json: { endpoint: null, secrets: { password: 'x' } } });
    expect(field.status).toBe(400);
    expect(((await field.json()) as { error: { message: string } }).error.message).toMatch(/secrets\.password/);
    const url = await call('/connectors/proxy', ts.admin, { method: 'PUT', json: { endpoint: 'ftp://x' } });
    expect(url.status).toBe(400);
    expect(((await url.json()) as { error: { message: string } }).error.message).toMatch(/endpoint/);
    expect(await store.connector('proxy')).toBeNull();
  });

  it('deletes a connector; deleting one that is not configured is 404', async () => {
    await call('/connectors/mail', ts.admin, { method: 'PUT', json: { endpoint: 'https://mail.example', secrets: { api_key: 'k-1234567' } } });
    expect((await call('/connectors/mail', ts.admin, { method: 'DELETE' })).status).toBe(204);
    expect(await store.connector('mail')).toBeNull();
    expect((await call('/connectors/mail', ts.admin, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('after the master key changed', () => {
  it('PB22: actions get not_configured, and a PUT must send every secret again (409 naming the fields)', async () => {
    await call('/connectors/identity', ts.admin, { method: 'PUT', json: { endpoint: 'https://graph.example', secrets: { api_key: API_KEY } } });
    const otherKey = createConnectorStore(ts.server.sql, createSecretBox({ id: 'test', key: randomBytes(32) }));
    const ctx = fakeContext({ services: { connector: (n) => otherKey.connector(n) } });
    const e = await runAction(ACTIONS, 'identity.disable_account', { account: 'jdoe' }, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'not_configured', message: 'connector "identity": its secrets cannot be decrypted (was SECRETS_KEY changed?)' });
    const rekeyed = new Hono<AuthEnv>();
    rekeyed.onError(createErrorHandler(ts.server.logger));
    rekeyed.use('*', authMiddleware(ts.server.identity.auth));
    rekeyed.route('/', createConnectorRoutes({ sql: ts.server.sql, store: otherKey, audit: ts.server.identity.audit }));
    const put = (json: unknown) =>
      rekeyed.request('/connectors/identity', {
        method: 'PUT',
        headers: { ...ts.admin.headers, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    const refused = await put({ endpoint: 'https://graph.example' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/send secrets\.api_key again/);
    expect((await put({ endpoint: 'https://graph.example', secrets: { api_key: 'new-key-123456' } })).status).toBe(200);
    expect((await otherKey.connector('identity'))?.secrets).toEqual({ api_key: 'new-key-123456' });
  });
});

describe('named secret routes', () => {
  it('PB22: set, list (names only), use and delete a named secret', async () => {
    expect((await call('/secrets/DLP_TOKEN', ts.admin, { method: 'PUT', json: { value: DLP } })).status).toBe(204);
    const list = await call('/secrets', ts.admin);
    const text = await list.text();
    expect(text).not.toContain(DLP);
    expect(JSON.parse(text)).toEqual({ items: [{ name: 'DLP_TOKEN', updated_at: expect.any(String), updated_by: expect.any(String) }] });
    expect(await store.secret('DLP_TOKEN')).toBe(DLP);
    const [row] = await ts.server.sql<{ sealed: Uint8Array }[]>`SELECT sealed FROM named_secrets WHERE name = 'DLP_TOKEN'`;
    expect(Buffer.from(row?.sealed ?? []).toString('latin1')).not.toContain(DLP);
    expect((await call('/secrets/DLP_TOKEN', ts.admin, { method: 'DELETE' })).status).toBe(204);
    expect(await store.secret('DLP_TOKEN')).toBeNull();
    expect((await call('/secrets/DLP_TOKEN', ts.admin, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a bad secret name or an empty value', async () => {
    expect((await call('/secrets/1bad-name', ts.admin, { method: 'PUT', json: { value: 'x' } })).status).toBe(400);
    expect((await call('/secrets/GOOD', ts.admin, { method: 'PUT', json: { value: '' } })).status).toBe(400);
    expect(await store.secret('GOOD')).toBeNull();
  });

  it('PB21, PB22: every change is audited, and no audit entry or log line holds a secret value', async () => {
    await call('/secrets/AUDITED', ts.admin, { method: 'PUT', json: { value: DLP } });
    const rows = await ts.server.sql<
      { action: string; target_id: string }[]
    >`SELECT * FROM audit_log WHERE target_type IN ('connector', 'secret') ORDER BY seq`;
    expect(rows.map((r) => `${r.action} ${r.target_id}`)).toEqual(
      expect.arrayContaining([
        'connector.update firewall',
        'connector.update edr',
        'connector.delete mail',
        'secret.update DLP_TOKEN',
        'secret.delete DLP_TOKEN',
        'secret.update AUDITED',
      ]),
    );
    const all = JSON.stringify(await ts.server.sql`SELECT * FROM audit_log`);
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(DLP);
  });
});

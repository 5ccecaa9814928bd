/**
 * Test helpers: the real server on a free port against a fresh database (with an admin seeded
 * through `bootstrapAdmin` and logged in), identities of every role made directly in the
 * database (no argon2, no rate limit), and stock y-websocket clients (WebsocketProvider over
 * `ws`) connected to it with a cookie or bearer header.
 */
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import type { Role } from '../../shared/permissions.ts';
import { SESSION_COOKIE } from '../auth/authenticator.ts';
import { createApiToken, createSession } from '../auth/credential-store.ts';
import { insertUser, type UserRow } from '../auth/user-store.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../server.ts';
import { waitFor } from './wait-for.ts';

export const TEST_ADMIN = { email: 'admin@test.local', password: 'test admin password 1' } as const;

/** A logged-in identity: its headers carry the session cookie (or bearer token). */
export interface TestIdentity {
  user: UserRow;
  /** `{ cookie }` for a session, `{ authorization }` for a token. */
  headers: Record<string, string>;
  /** The raw secret (session token or API token). */
  secret: string;
  credentialId: string;
}

export interface TestServer {
  server: RunningServer;
  db: TestDatabase;
  wsUrl: string;
  /** The seeded admin, logged in. */
  admin: TestIdentity;
  /** A new user of this role with a session (guests: pass grants). */
  as(role: Role, opts?: { grants?: Record<string, 'read' | 'write'>; email?: string }): Promise<TestIdentity>;
  /** A new API token of this role (created by the admin). */
  token(role: Exclude<Role, 'guest'>, scopes?: string[]): Promise<TestIdentity>;
  /** fetch under the server's URL, as the admin unless `as` is given (null: no identity). */
  fetch(path: string, init?: RequestInit & { as?: TestIdentity | null; json?: unknown }): Promise<Response>;
  /** Close the server and drop the database. */
  stop(): Promise<void>;
}

export async function startTestServer(opts: Partial<StartServerOptions> & { db?: TestDatabase } = {}): Promise<TestServer> {
  const db = opts.db ?? (await createTestDatabase());
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: db.url,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    projectorDebounceMs: 20,
    bootstrapAdmin: TEST_ADMIN,
    ...opts,
    auth: { hashCost: { memoryCost: 4096, timeCost: 2 }, ...opts.auth },
  });
  const sql = server.sql;
  const ttlMs = server.identity.sessionTtlMs;
  let n = 0;

  async function sessionFor(user: UserRow): Promise<TestIdentity> {
    const s = await createSession(sql, user.id, ttlMs, '127.0.0.1');
    return { user, headers: { cookie: `${SESSION_COOKIE}=${s.secret}` }, secret: s.secret, credentialId: s.id };
  }

  // Another admin may have been bootstrapped on a shared database: add the test admin then.
  const [adminRow] =
    (await sql<UserRow[]>`SELECT * FROM users WHERE lower(email) = ${TEST_ADMIN.email}`)[0] !== undefined
      ? await sql<UserRow[]>`SELECT * FROM users WHERE lower(email) = ${TEST_ADMIN.email}`
      : [await insertUser(sql, { email: TEST_ADMIN.email, displayName: 'Test admin', role: 'admin', passwordHash: null, authKind: 'invited' })];
  if (!adminRow) throw new Error('the test admin was not created');
  const admin = await sessionFor(adminRow);

  return {
    server,
    db,
    wsUrl: `ws://127.0.0.1:${server.port}/sync`,
    admin,
    async as(role, o = {}) {
      const email = o.email ?? `${role}-${Date.now()}-${++n}@test.local`;
      const user = await insertUser(sql, { email, displayName: `${role} ${n}`, role, passwordHash: null, authKind: 'invited' });
      if (!user) throw new Error(`could not create ${email}`);
      for (const [incident, access] of Object.entries(o.grants ?? {})) {
        await sql`INSERT INTO guest_grants (user_id, incident_id, access, invited_by) VALUES (${user.id}, ${incident}, ${access}, ${adminRow.id})`;
      }
      return sessionFor(user);
    },
    async token(role, scopes) {
      const t = await createApiToken(sql, { name: `${role} token ${++n}`, role, scopes: (scopes as never) ?? null, createdBy: adminRow.id, expiresAt: null });
      return { user: adminRow, headers: { authorization: `Bearer ${t.secret}` }, secret: t.secret, credentialId: t.row.id };
    },
    fetch(path, init = {}) {
      const { as: who = admin, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      for (const [k, v] of Object.entries(who?.headers ?? {})) headers.set(k, v);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${server.url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async stop() {
      await server.close();
      if (!opts.db) await db.drop();
    },
  };
}

export interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Resolves once the provider has synced with the server. */
  synced(): Promise<void>;
  destroy(): void;
}

/** The Origin a page served by the server at `wsUrl` sends (what a browser adds to every upgrade). */
export function pageOrigin(wsUrl: string | URL): string {
  const u = new URL(wsUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

/**
 * `ws` sending these headers (a cookie or Authorization) on the upgrade; with a cookie, also the
 * server's own Origin unless `headers` name one, as a page of the app would.
 */
function webSocketWithHeaders(headers: Record<string, string>): typeof globalThis.WebSocket {
  const hasOrigin = Object.keys(headers).some((k) => k.toLowerCase() === 'origin');
  class AuthedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: headers.cookie && !hasOrigin ? { origin: pageOrigin(url), ...headers } : headers });
    }
  }
  return AuthedWebSocket as unknown as typeof globalThis.WebSocket;
}

/**
 * A stock y-websocket client: serverUrl ws://host/sync, room = document id, authenticated by
 * `as` (an identity's headers; omitted = no identity: the server refuses the socket).
 */
export function connectClient(wsUrl: string, id: string, opts: { connect?: boolean; as?: { headers: Record<string, string> } } = {}): Client {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, id, doc, {
    WebSocketPolyfill: webSocketWithHeaders(opts.as?.headers ?? {}),
    disableBc: true,
    connect: opts.connect ?? true,
  });
  return {
    doc,
    provider,
    synced: () => waitFor(() => provider.synced, { message: `client of ${id} to sync` }).then(() => undefined),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Both documents hold the same state (same inserts and same deletions). */
export function sameState(a: Y.Doc, b: Y.Doc): boolean {
  return Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b));
}

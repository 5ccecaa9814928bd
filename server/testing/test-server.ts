/**
 * Test helpers: the real server on a free port against a fresh database, and stock y-websocket
 * clients (WebsocketProvider over `ws`) connected to it.
 */
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../server.ts';
import { waitFor } from './wait-for.ts';

export interface TestServer {
  server: RunningServer;
  db: TestDatabase;
  wsUrl: string;
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
    ...opts,
  });
  return {
    server,
    db,
    wsUrl: `ws://127.0.0.1:${server.port}/sync`,
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

/** A stock y-websocket client: serverUrl ws://host/sync, room = document id. */
export function connectClient(wsUrl: string, id: string, opts: { connect?: boolean } = {}): Client {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, id, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
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

/**
 * The server side of `bench/auth.ts`, as its own process: the real server (auth middleware,
 * audit log) on one port and, built only here, the same routes without identity on another —
 * a fixed admin principal and a document manager without audit — against the same database.
 * Prints `{"authed":<port>,"bare":<port>}` on stdout once both listen.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { AuthEnv } from '../server/auth/middleware.ts';
import { createErrorHandler } from '../server/http/errors.ts';
import { createIncidentRoutes } from '../server/incidents/routes.ts';
import { createLogger } from '../server/logger.ts';
import { startServer } from '../server/server.ts';
import { createDocumentManager } from '../server/sync/document-manager.ts';
import { createPgDocumentStore } from '../server/sync/pg-document-store.ts';
import { createSyncApiRoutes } from '../server/sync/routes.ts';
import { BENCH_ADMIN } from './server-process.ts';

const databaseUrl = process.env.DATABASE_URL ?? '';
const logger = createLogger({ level: 'warn' });
const server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl, logger, bootstrapAdmin: BENCH_ADMIN });

// The bare variant: no middleware, no credential lookup, no audit.
const store = createPgDocumentStore(server.sql, logger);
const docs = createDocumentManager({ store, logger });
const bare = new Hono<AuthEnv>();
bare.onError(createErrorHandler(logger));
bare.use('*', async (c, next) => {
  c.set('auth', {
    ok: true,
    principal: { kind: 'user', id: '00000000-0000-7000-8000-000000000000', name: 'bench', role: 'admin', scopes: null, grants: {} },
    credential: { kind: 'session', secret: '' },
    credentialId: '',
    grantsExpireAt: {},
    expiresAt: null,
  });
  await next();
});
bare.route('/api/v1', createIncidentRoutes({ sql: server.sql }));
bare.route('/api/v1', createSyncApiRoutes({ docs, store, logger }));
const bareServer = createAdaptorServer({ fetch: bare.fetch }) as Server;
await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', resolve));

process.stdout.write(`${JSON.stringify({ authed: server.port, bare: (bareServer.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => {
  bareServer.close();
  void docs
    .close()
    .then(() => server.close())
    .then(() => process.exit(0));
});

/**
 * Starts the whole server on one port: migrations, the document manager (LISTEN included), the
 * projector, the Hono app with websockets, and a graceful close. Used by main.ts, the
 * integration and end-to-end tests, and the benchmarks.
 */
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { SYNC_CLOSE } from '../shared/api.ts';
import { createApp } from './app.ts';
import type { SlaPolicy } from '../shared/sla.ts';
import { connect, type Sql } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { createProjector, type Projector } from './incidents/projector.ts';
import { createListCache } from './incidents/list-cache.ts';
import { createLifecycle, type Lifecycle } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { createDocumentManager } from './sync/document-manager.ts';
import type { DocumentManager } from './sync/document-types.ts';
import { startHeartbeat } from './sync/heartbeat.ts';
import { createPgDocumentStore } from './sync/pg-document-store.ts';
import { createDocOutbox, type DocOutbox } from './sync/doc-outbox.ts';
import { DOC_WRITE_HANDLERS } from './doc-writes.ts';
import { createSyncHub, DEFAULT_MAX_MESSAGE_BYTES } from './sync/socket-session.ts';
import { sha256Hex } from './audit/audit-log.ts';
import type { AuthDeps } from './auth/auth-deps.ts';
import type { AuthOptions } from './auth/auth-options.ts';
import { bootstrapAdmin, type BootstrapResult } from './auth/bootstrap.ts';
import { createIdentity } from './auth/identity.ts';
import type { DocAuditRecord } from './sync/update-writer.ts';
import { openEvidence, startUploadExpiry, type EvidenceSettings } from './evidence/evidence-setup.ts';
import { completeKeyRotation, type KeyRotationReport } from './key-rotation.ts';
import { stopHashWorkerIfIdle } from './evidence/hash-worker.ts';
import type { EvidenceService } from './evidence/evidence-service.ts';
import { createPlaybooks, type Playbooks, type PlaybooksOptions } from './playbooks/engine/service.ts';
import { createIntelService, type IntelOptions, type IntelService } from './intel/intel-service.ts';
import { slackNotifier, startIntelUse, type IntelUse } from './intel/matching.ts';
import { openIncidentForAlert } from './alerts/open-incident.ts';

export interface StartServerOptions {
  /** 0 = a free port. Default 8080. */
  port?: number;
  host?: string;
  databaseUrl: string;
  /** The built PWA (dist/); omitted = API only. */
  staticDir?: string;
  logLevel?: string;
  logger?: Logger;
  /** How long a document stays loaded after its last user (default 30 s). */
  lingerMs?: number;
  projectorDebounceMs?: number;
  /** Freshness of cached incident list pages (default 1 s; 0 = no cache). */
  listCacheMs?: number;
  /** Longest an accepted update waits before it is written (default 5 ms). */
  flushDelayMs?: number;
  /** Websocket message cap (default 10 MiB). */
  maxMessageBytes?: number;
  /** Keepalive for quiet sockets (default 15 s). */
  keepaliveMs?: number;
  /** Identity settings (config.ts reads them from the environment). */
  auth?: AuthOptions;
  /** Tests: make sure this admin exists with this password (instead of ADMIN_EMAIL/PASSWORD). */
  bootstrapAdmin?: { email: string; password: string };
  /** SLA and breach policy (shared/sla.ts; config SLA_POLICY); default DEFAULT_SLA_POLICY. */
  slaPolicy?: SlaPolicy;
  /** Clock of alert dedup and correlation windows (tests move it). */
  alertClock?: () => Date;
  /** The data folder (config DATA_DIR): evidence files and key. Omitted = a temporary folder removed on close (tests). */
  dataDir?: string;
  /** Evidence key and quotas (config EVIDENCE_*). */
  evidence?: EvidenceSettings;
  /** Playbooks folder, scripts, SMTP, secrets key, worker settings (config PLAYBOOKS_DIR, ...). */
  playbooks?: PlaybooksOptions;
  /** Threat-intel feed pulls (config ALLOW_PRIVATE_FEED_URLS, INTEL_*). */
  intel?: IntelOptions;
  /** Tests: make the start fail right after this stage (its stop registered), as a failure of the next step would. */
  failAt?: StartStage;
}

export interface RunningServer {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  docs: DocumentManager;
  projector: Projector;
  sql: Sql;
  logger: Logger;
  identity: AuthDeps;
  /** Re-wrapping and re-sealing under the current keys, started at start (null if it failed). */
  keyRotation: Promise<KeyRotationReport | null>;
  evidence: EvidenceService;
  playbooks: Playbooks;
  intel: IntelService;
  /** Matching on arrival and the retrospective search (tests flush the incident matcher). */
  intelUse: IntelUse;
  /** Document writes decided in transactions (alerts, intel matches, evidence), applied after commit. */
  outbox: DocOutbox;
  /** What the first-start admin creation did (its invite link, if one was made). */
  bootstrap: BootstrapResult;
  /** Stop accepting, close sockets with 1012, run pending projections, flush updates, end pg. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The parts of a start, in order; each is a part of the lifecycle stack (server/lifecycle.ts)
 * except `migrations` and `bootstrap`, which leave nothing running. `failAt` (tests) names one.
 */
export const START_STAGES = [
  'data folder',
  'postgres',
  'migrations',
  'indicator lookups',
  'http server',
  'list cache',
  'auth',
  'documents',
  'projector',
  'outbox',
  'evidence',
  'playbooks',
  'intel',
  'intel use',
  'heartbeat',
  'sync hub',
  'listening',
  'bootstrap',
  'upload expiry',
  'key rotation',
  'outbox sweeper',
  'stale projections',
  'feed runner',
  'serving',
] as const;
export type StartStage = (typeof START_STAGES)[number];
type App = ReturnType<typeof createApp>;

/**
 * Start every part; each registers its stop in a lifecycle stack right after it started, and a
 * failure at any point runs that stack (newest first) and rethrows. `close()` runs the same stack:
 * the registrations are ordered so that reversed they stop accepting, close sockets with 1012,
 * run pending projections, flush updates and end pg, in that order.
 */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ level: opts.logLevel ?? 'info' });
  const life = createLifecycle({ logger });
  try {
    return await startParts(opts, logger, life);
  } catch (e) {
    await life.stop();
    throw e;
  }
}

async function startParts(opts: StartServerOptions, logger: Logger, life: Lifecycle): Promise<RunningServer> {
  /** `stage` has started and `stop` undoes it; tests may make the start fail right here. */
  const started = (stage: StartStage, stop: () => unknown): void => {
    life.started(stage, stop);
    reached(stage);
  };
  const reached = (stage: StartStage): void => {
    if (opts.failAt === stage) throw new Error(`start failed at ${stage} (failAt, tests)`);
  };

  const tempDataDir = opts.dataDir ? null : await mkdtemp(join(tmpdir(), 'sentpilot-data-'));
  started('data folder', () => (tempDataDir ? rm(tempDataDir, { recursive: true, force: true }) : undefined));
  const dataDir = opts.dataDir ?? tempDataDir ?? '';
  const sql = connect(opts.databaseUrl, { logger });
  started('postgres', () => sql.end({ timeout: 5 }));
  await migrate(sql, { logger });
  reached('migrations');
  // Indicator lookups: one statement whose plan (index probes) never depends on the values, and
  // which Postgres would otherwise plan again on every call (1 ms, twice what running it costs).
  const lookupSql = connect(opts.databaseUrl, { logger, max: 4, genericPlans: true });
  started('indicator lookups', () => lookupSql.end({ timeout: 5 }));

  // The HTTP server and its websockets exist from here so that, at close, their connections are
  // the last to go (after the parts requests use); it listens once the app exists, and requests
  // wait until the first admin exists (the port must be known for its invite link).
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  // Frames up to twice the cap are read so the session can refuse them with 4402; beyond
  // that ws closes the socket itself with 1009 (message too big).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes * 2, perMessageDeflate: false });
  let serving: App | null = null;
  let release: (app: App | null) => void = () => {};
  const ready = new Promise<App | null>((resolve) => (release = resolve));
  const fetchWhenReady: App['fetch'] = (req, env, ctx) =>
    serving ? serving.fetch(req, env, ctx) : ready.then((a) => (a ? a.fetch(req, env, ctx) : new Response('the server failed to start', { status: 503 })));
  const server = createAdaptorServer({ fetch: fetchWhenReady, websocket: { server: wss } }) as Server;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  started('http server', async () => {
    release(null);
    server.close();
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    const forced = setTimeout(() => server.closeAllConnections(), 2_000);
    await closed;
    clearTimeout(forced);
  });

  const authOptions: AuthOptions = { ...opts.auth };
  if (opts.bootstrapAdmin) {
    authOptions.adminEmail = opts.bootstrapAdmin.email;
    authOptions.adminPassword = opts.bootstrapAdmin.password;
  }
  const identity = createIdentity({ sql, logger, options: authOptions, port: opts.port ?? 8080 });
  const listCache = createListCache(sql, logger, { freshMs: opts.listCacheMs });
  await listCache.start();
  started('list cache', () => listCache.close());
  await identity.auth.start();
  started('auth', () => identity.auth.close());
  const store = createPgDocumentStore(sql, logger);
  // One audit entry per flushed batch per actor per document: the digest of the merged update.
  const auditDocs = async (records: DocAuditRecord[]): Promise<void> => {
    await identity.audit.append(
      records.map((r) => ({
        actor: r.actor,
        action: 'incident.update',
        targetType: 'incident',
        targetId: r.docId,
        incidentId: r.docId,
        digest: sha256Hex(r.update),
      })),
    );
  };
  const docs = createDocumentManager({ store, logger, lingerMs: opts.lingerMs, flushDelayMs: opts.flushDelayMs, audit: auditDocs });
  await docs.start();
  // Closing flushes the accepted updates.
  started('documents', () => docs.close());
  const projector = createProjector({ sql, docs, logger, debounceMs: opts.projectorDebounceMs, slaPolicy: opts.slaPolicy, onWritten: () => listCache.bump() });
  // Closing runs the pending projections.
  started('projector', () => projector.close());
  const outbox = createDocOutbox({ sql, docs, logger, handlers: DOC_WRITE_HANDLERS });
  started('outbox', () => outbox.stop());
  const evidence = await openEvidence({ sql, docs, outbox, logger, audit: identity.audit, dataDir, settings: opts.evidence });
  started('evidence', () => stopHashWorkerIfIdle());
  const playbooks = await createPlaybooks(
    { sql, databaseUrl: opts.databaseUrl, docs, audit: identity.audit, logger, policy: opts.slaPolicy },
    { dataDir: opts.dataDir ?? tempDataDir ?? undefined, ...opts.playbooks },
  );
  started('playbooks', () => playbooks.close());
  const intel = createIntelService({ sql, logger, secret: (name) => playbooks.connectors.secret(name) }, opts.intel);
  started('intel', () => intel.close());
  const intelUse = startIntelUse({
    sql,
    docs,
    logger,
    intel,
    retroDays: opts.intel?.retroDays,
    openIncident: openIncidentForAlert({ sql, docs }),
    notify: slackNotifier((name) => playbooks.connectors.connector(name)),
  });
  started('intel use', () => intelUse.stop());
  const heartbeat = startHeartbeat(wss);
  started('heartbeat', () => heartbeat.stop());
  const hub = createSyncHub({ docs, logger, maxMessageBytes, keepaliveMs: opts.keepaliveMs, authRecheckMs: authOptions.socketRecheckMs });
  // Anything that removes access (here or in another process) re-checks every open socket now.
  const unsubscribeRecheck = identity.auth.onInvalidate(() => {
    hub.recheckAll().catch((e: unknown) => logger.error({ err: e }, 're-checking sockets failed'));
  });
  started('sync hub', () => {
    unsubscribeRecheck();
    hub.stop();
  });
  const app = createApp({
    sql,
    docs,
    store,
    hub,
    logger,
    identity,
    staticDir: opts.staticDir,
    projector,
    listCache,
    slaPolicy: opts.slaPolicy,
    alertClock: opts.alertClock,
    evidence,
    playbooks,
    intel,
    lookupSql,
    outbox,
  });

  const port = await listen(server, opts.port ?? 8080, opts.host ?? '0.0.0.0');
  reached('listening');
  if (!authOptions.publicUrl) identity.publicUrl = `http://localhost:${port}`;
  const bootstrap = await bootstrapAdmin({
    sql,
    logger,
    audit: identity.audit,
    hasher: identity.hasher,
    publicUrl: identity.publicUrl,
    email: authOptions.adminEmail,
    password: authOptions.adminPassword,
  });
  reached('bootstrap');

  const uploadExpiry = startUploadExpiry({ evidence, logger, idleHours: opts.evidence?.uploadIdleHours });
  started('upload expiry', () => uploadExpiry.stop());
  const keyRotation = completeKeyRotation({ sql, logger, audit: identity.audit, evidenceKeys: evidence.keyring, secrets: playbooks.box }).catch(
    (e: unknown) => {
      logger.error({ err: e }, 'moving stored keys and secrets to the current keys failed; it is tried again at the next start');
      return null;
    },
  );
  started('key rotation', () => keyRotation);
  // Document writes left behind by a process that stopped between a commit and the write (the
  // outbox's stop, registered above, ends the sweeper).
  outbox.start();
  reached('outbox sweeper');
  const recovering = projector.recoverStale().catch((e: unknown) => logger.error({ err: e }, 'recovering stale projections failed'));
  started('stale projections', () => recovering);
  // The feed runner (intel's close, registered above, stops it).
  intel.start();
  reached('feed runner');
  // Requests that waited for the start go on; at close this is the first part to stop: no new
  // connections, the idle ones closed, and every sync socket told the server is going away.
  serving = app;
  release(app);
  started('serving', () => {
    server.close();
    server.closeIdleConnections();
    hub.closeAll(SYNC_CLOSE.shuttingDown.code, SYNC_CLOSE.shuttingDown.reason);
  });

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    await life.stop();
    logger.info('server closed');
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    docs,
    projector,
    sql,
    logger,
    identity,
    evidence,
    playbooks,
    intel,
    intelUse,
    outbox,
    bootstrap,
    keyRotation,
    close: () => (closing ??= close()),
  };
}

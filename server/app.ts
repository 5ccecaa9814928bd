/**
 * The Hono application: /healthz, the REST API under /api/v1, the y-websocket endpoint under
 * /sync, the built PWA for everything else. One onError turns every error into the JSON error
 * body; dependencies come in through `createApp(deps)`.
 *
 * Identity: /healthz, /auth/config, /auth/login, /auth/accept-invite and /auth/oidc/* are
 * public; the auth middleware guards every other /api/v1 route (each route then requires its
 * Action); /sync authenticates at the upgrade and refuses with close codes.
 *
 * Before any route, every response gets the security headers (http/secure-headers.ts) and every
 * request body its route's size limit (http/body-limits.ts, the table below), whoever asks.
 */
import { Hono } from 'hono';
import { DomainError } from '../shared/errors.ts';
import type { Sql } from './db/connect.ts';
import { createErrorHandler, notFound } from './http/errors.ts';
import { edgeBodyLimit, type BodyLimitRule } from './http/body-limits.ts';
import { securityHeaders } from './http/secure-headers.ts';
import { createIncidentRoutes } from './incidents/routes.ts';
import type { ListCache } from './incidents/list-cache.ts';
import type { Projector } from './incidents/projector.ts';
import { createTemplateRoutes } from './incidents/template-routes.ts';
import { apiDocument, createOpenApiRoutes, createReferenceRoutes } from './openapi/routes.ts';
import { once } from '../shared/once.ts';
import { createIncidentWriteRoutes } from './incidents/write-routes.ts';
import type { SlaPolicy } from '../shared/sla.ts';
import { createAuditRoutes } from './audit/audit-routes.ts';
import { createAlertRoutes, MAX_ALERT_BODY_BYTES } from './alerts/routes.ts';
import { createAssetRoutes, MAX_CSV_BYTES } from './assets/routes.ts';
import type { EvidenceService } from './evidence/evidence-service.ts';
import { createEvidenceRoutes, EVIDENCE_CREATE_MAX_BYTES } from './evidence/routes.ts';
import { MAX_CHUNK_BYTES } from '../shared/evidence-api.ts';
import { evidenceUploadAuth } from './evidence/upload-auth.ts';
import { createConnectorRoutes } from './playbooks/connectors.ts';
import type { Playbooks } from './playbooks/engine/service.ts';
import { createHookRoutes, HOOK_MAX_BODY_BYTES } from './playbooks/hooks.ts';
import { createPlaybookRoutes } from './playbooks/routes.ts';
import { createFeedRoutes, DEFAULT_PUSH_MAX_BYTES } from './intel/feeds.ts';
import { createIntelUseRoutes } from './intel/intel-routes.ts';
import type { IntelService } from './intel/intel-service.ts';
import { DEFAULT_SLA_POLICY } from '../shared/sla.ts';
import type { AuthDeps } from './auth/auth-deps.ts';
import { AUTH_BODY_BYTES, createAuthRoutes } from './auth/auth-routes.ts';
import { createGuestRoutes } from './auth/guest-routes.ts';
import { authMiddleware, type AuthEnv } from './auth/middleware.ts';
import { createOidcRoutes } from './auth/oidc-routes.ts';
import { createTokenRoutes } from './auth/token-routes.ts';
import { createUserRoutes } from './auth/user-routes.ts';
import type { Logger } from './logger.ts';
import type { DocumentManager } from './sync/document-types.ts';
import type { DocumentStore } from './sync/document-store.ts';
import { BATCH_BODY_LIMIT, createSyncApiRoutes, createSyncSocketRoutes } from './sync/routes.ts';
import type { SyncHub } from './sync/socket-session.ts';
import { createDocOutbox, type DocOutbox } from './sync/doc-outbox.ts';
import { DOC_WRITE_HANDLERS } from './doc-writes.ts';
import { createStaticHandler } from './web/static-routes.ts';

export interface AppDeps {
  sql: Sql;
  docs: DocumentManager;
  store: DocumentStore;
  logger: Logger;
  /** Identity, access and audit services. */
  identity: AuthDeps;
  /** Websocket sessions; without it (in-process route tests) /sync is not served. */
  hub?: SyncHub;
  /** The built PWA; without it only the API is served. */
  staticDir?: string;
  /** The projector; without it the incident write API is not served (in-process route tests). */
  projector?: Projector;
  /** SLA policy (shared/sla.ts); default DEFAULT_SLA_POLICY. */
  slaPolicy?: SlaPolicy;
  /** Cached list pages (server/incidents/list-cache.ts); without it every list reads Postgres. */
  listCache?: ListCache;
  /** Clock of alert dedup and correlation windows (tests move it); default the system clock. */
  alertClock?: () => Date;
  /** The evidence locker (server/evidence); without it the evidence API is not served. */
  evidence?: EvidenceService;
  /** The playbook engine and its stores (server/playbooks); without it the playbooks API is not served. */
  playbooks?: Playbooks;
  /** Threat intel (server/intel); without it the feeds API is not served. */
  intel?: IntelService;
  /** Connections for indicator lookups (generic plans; server.ts); `sql` when absent. */
  lookupSql?: Sql;
  /** Document writes decided in transactions (server.ts sweeps it); one without a sweeper when absent. */
  outbox?: DocOutbox;
}

const HEALTH_TIMEOUT_MS = 2_000;

async function databaseAnswers(sql: Sql): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([sql`SELECT 1`.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Body limits of the routes that differ from the JSON API's 1 MiB (http/body-limits.ts). The
 * large ones are counted by the route once the caller is authenticated ('route'); the rest at the
 * edge, before authentication.
 */
function bodyLimitRules(deps: AppDeps): BodyLimitRule[] {
  return [
    { path: '/api/v1/auth/*', maxBytes: AUTH_BODY_BYTES },
    { method: 'POST', path: '/api/v1/hooks/*', maxBytes: HOOK_MAX_BODY_BYTES },
    { method: 'POST', path: '/api/v1/alerts', maxBytes: MAX_ALERT_BODY_BYTES, countedBy: 'route' },
    { method: 'POST', path: '/api/v1/sync/batch', maxBytes: BATCH_BODY_LIMIT, countedBy: 'route', hint: 'send fewer documents per batch' },
    { method: 'POST', path: '/api/v1/feeds/:id/push', maxBytes: deps.intel?.options.pushMaxBytes ?? DEFAULT_PUSH_MAX_BYTES, countedBy: 'route' },
    { method: 'PUT', path: '/api/v1/evidence-uploads/:uploadId', maxBytes: MAX_CHUNK_BYTES, countedBy: 'route' },
    {
      method: 'POST',
      path: '/api/v1/incidents/:id/evidence',
      maxBytes: EVIDENCE_CREATE_MAX_BYTES,
      countedBy: 'route',
      hint: 'send bigger files with the chunked upload',
    },
    { method: 'POST', path: '/api/v1/assets/import', maxBytes: MAX_CSV_BYTES, countedBy: 'route' },
  ];
}

export function createApp(deps: AppDeps): Hono {
  const { sql, docs, store, logger } = deps;
  const app = new Hono();
  app.onError(createErrorHandler(logger));
  app.notFound(notFound);

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round(performance.now() - started);
    const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms };
    if (c.res.status >= 500) logger.warn(line, 'request');
    else logger.debug(line, 'request');
  });
  app.use('*', securityHeaders({ proxyHops: deps.identity.proxyHops }));
  app.use('*', edgeBodyLimit(bodyLimitRules(deps)));

  app.get('/healthz', async (c) => {
    if (!(await databaseAnswers(sql))) throw new DomainError('unavailable', 'the database is not reachable');
    return c.json({ status: 'ok' });
  });

  const { identity } = deps;
  const api = new Hono<AuthEnv>();
  // Public routes first: the middleware below guards everything registered after it.
  api.route('/', createAuthRoutes(identity));
  if (identity.oidc) api.route('/', createOidcRoutes(identity, identity.oidc));
  // Inbound webhooks prove themselves with an HMAC signature, not a session.
  if (deps.playbooks)
    api.route(
      '/',
      createHookRoutes({ sql, audit: identity.audit, policy: deps.slaPolicy ?? DEFAULT_SLA_POLICY, playbooks: deps.playbooks, proxyHops: identity.proxyHops }),
    );
  if (deps.evidence) {
    // Chunks are octet-stream and small files multipart: their own CSRF rule (upload-auth.ts).
    const uploadAuth = evidenceUploadAuth(identity.auth, identity.proxyHops);
    api.use('/evidence-uploads/*', uploadAuth);
    api.use('/incidents/:id/evidence', uploadAuth);
  }
  api.use('*', authMiddleware(identity.auth, identity.proxyHops));
  const { projector } = deps;
  // An id the server returned (an alert's new incident) is readable at once, even before the
  // debounced projection: a document this process holds, or any process stored, is projected now.
  const projectIfPending = projector
    ? async (id: string): Promise<boolean> => {
        const known = docs.isLoaded(id) || (await sql`SELECT 1 FROM documents WHERE id = ${id}`).length > 0;
        if (!known) return false;
        const outcome = await projector.project(id);
        return outcome === 'projected' || outcome === 'stale';
      }
    : undefined;
  api.route('/', createIncidentRoutes({ sql, policy: deps.slaPolicy, listCache: deps.listCache, projectIfPending }));
  if (deps.projector) api.route('/', createIncidentWriteRoutes({ sql, docs, projector: deps.projector, audit: identity.audit, policy: deps.slaPolicy }));
  api.route('/', createTemplateRoutes({ sql, audit: identity.audit }));
  const openApi = once(() => apiDocument());
  api.route('/', createOpenApiRoutes(openApi));
  api.route('/', createSyncApiRoutes({ docs, store, logger }));
  api.route('/', createUserRoutes(identity));
  api.route('/', createTokenRoutes(identity));
  api.route('/', createGuestRoutes(identity));
  api.route('/', createAuditRoutes({ audit: identity.audit }));
  const outbox = deps.outbox ?? createDocOutbox({ sql, docs, logger, handlers: DOC_WRITE_HANDLERS });
  api.route('/', createAlertRoutes({ sql, outbox, audit: identity.audit, logger, now: deps.alertClock ?? (() => new Date()) }));
  api.route('/', createAssetRoutes({ sql, audit: identity.audit }));
  if (deps.playbooks) {
    api.route('/', createPlaybookRoutes({ sql, audit: identity.audit, policy: deps.slaPolicy ?? DEFAULT_SLA_POLICY, playbooks: deps.playbooks }));
    api.route('/', createConnectorRoutes({ sql, store: deps.playbooks.connectors, audit: identity.audit }));
  }
  if (deps.intel) api.route('/', createFeedRoutes({ sql, audit: identity.audit, runner: deps.intel.runner, pushMaxBytes: deps.intel.options.pushMaxBytes }));
  api.route('/', createIntelUseRoutes({ sql, lookupSql: deps.lookupSql }));
  if (deps.evidence) api.route('/', createEvidenceRoutes({ evidence: deps.evidence, logger, proxyHops: identity.proxyHops }));
  app.route('/api/v1', api);
  app.use('/api/docs', authMiddleware(identity.auth, identity.proxyHops));
  app.route('/api', createReferenceRoutes(openApi));

  if (deps.hub)
    app.route('/sync', createSyncSocketRoutes({ hub: deps.hub, logger, auth: identity.auth, origins: identity.origins, proxyHops: identity.proxyHops }));
  if (deps.staticDir) app.use('*', createStaticHandler({ staticDir: deps.staticDir }));
  return app;
}

/**
 * Sync routes: the y-websocket endpoint (`/sync/:id`, mounted at /sync) and the background
 * sync API (`POST /sync/batch`, `GET /sync/changes`, mounted under /api/v1).
 *
 * Access: the socket is authenticated at the upgrade (cookie or bearer); a refused socket is
 * accepted and then closed with 4403 (log in again) or 4404 (no access to this incident), since
 * an HTTP 401 makes y-websocket retry forever. The batch refuses per document (`forbidden` in
 * errors[]): no read access, or an update from a read-only principal (which still gets what it
 * lacks). The changes feed lists only what the principal may read.
 *
 * Origin: a browser sends its page's Origin on the upgrade and puts no same-origin rule on
 * websockets, and a page on another port of this host is "same-site" for the SameSite=Strict
 * cookie. So an Origin that the origin policy (auth/origin-policy.ts) does not allow, or a
 * cookie without any Origin, is refused with 403 before the upgrade: no socket, nothing read or
 * written. A bearer token without Origin (an integration, not a page) is not affected.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { upgradeWebSocket } from '@hono/node-server';
import * as Y from 'yjs';
import { syncBatchRequest, syncChangesQuery, type SyncBatchResponse, type SyncChangesResponse } from '../../shared/api.ts';
import { DomainError } from '../../shared/errors.ts';
import { can, type Principal } from '../../shared/permissions.ts';
import { actorOf } from '../audit/audit-types.ts';
import { FAILURE_MESSAGES, SESSION_COOKIE, type Authenticated, type Authenticator } from '../auth/authenticator.ts';
import { principalOf, resolveRequest, type AuthEnv } from '../auth/middleware.ts';
import type { OriginPolicy } from '../auth/origin-policy.ts';
import { requestHost } from '../http/forwarded.ts';
import { editorOf } from '../../shared/incident-guard.ts';
import { rejectInvalid } from '../http/validation.ts';
import type { Logger } from '../logger.ts';
import type { DocumentManager } from './document-types.ts';
import type { DocumentStore } from './document-store.ts';
import { validateStateVector, validateUpdate } from './protocol.ts';
import type { SocketAuth, SyncHub } from './socket-session.ts';
import { SYNC_CLOSE } from '../../shared/api.ts';

export const BATCH_BODY_LIMIT = 16 * 1024 * 1024;
/** Documents a batch touches are unloaded soon after: a device may sync thousands. */
const BATCH_LINGER_MS = 2_000;
/** Documents of one batch loaded at once. */
const BATCH_CONCURRENCY = 8;
/** Batch-sync origin for updates (distinct from any socket, so every socket receives them). */
export const BATCH_ORIGIN = 'sentpilot-batch-sync';

const fromB64 = (s: string): Uint8Array => {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const toB64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** When this credential's access to the document ends unless renewed: its own expiry or its guest grant's. */
function accessEndsAt(a: Authenticated, docId: string): number | null {
  const ends = [a.expiresAt, Object.hasOwn(a.grantsExpireAt, docId) ? a.grantsExpireAt[docId] : undefined].filter((d): d is Date => d instanceof Date);
  return ends.length ? Math.min(...ends.map((d) => d.getTime())) : null;
}

type SocketVerdict = { ok: true; auth: SocketAuth } | { ok: false; close: { code: number; reason: string }; detail: string };

export function createSyncSocketRoutes(deps: {
  hub: SyncHub;
  logger: Logger;
  auth: Authenticator;
  /** Browser origins that may open a socket. */
  origins: OriginPolicy;
  /** Trusted reverse proxies in front (for X-Forwarded-Host). */
  proxyHops?: number;
}): Hono {
  const app = new Hono();

  /** Refuse a cross-origin upgrade (403 before the handshake completes). */
  const checkOrigin: MiddlewareHandler = async (c, next) => {
    const origin = c.req.header('origin');
    const withCookie = c.req.header('authorization') === undefined && getCookie(c, SESSION_COOKIE) !== undefined;
    if (origin === undefined ? withCookie : !deps.origins.allows(origin, requestHost(c, deps.proxyHops ?? 0))) {
      deps.logger.warn({ origin: origin ?? null, path: c.req.path }, 'refusing a cross-origin sync socket');
      throw new DomainError(
        'forbidden',
        origin === undefined
          ? 'cross-site websocket refused: a cookie-authenticated socket must send its Origin'
          : `cross-site websocket refused: Origin ${origin} may not use this server (set PUBLIC_URL or ALLOWED_ORIGINS)`,
      );
    }
    await next();
  };

  async function decide(principalResult: Awaited<ReturnType<Authenticator['resolve']>>, docId: string): Promise<SocketVerdict> {
    if (!principalResult.ok) return { ok: false, close: SYNC_CLOSE.unauthenticated, detail: FAILURE_MESSAGES[principalResult.reason] };
    const first = principalResult;
    const id = docId.toLowerCase();
    if (!can(first.principal, 'incident:read', id)) return { ok: false, close: SYNC_CLOSE.forbidden, detail: `${first.principal.role} may not read ${id}` };
    const auth: SocketAuth = {
      actor: actorOf(first.principal),
      editor: editorOf(first.principal),
      canWrite: can(first.principal, 'incident:write', id),
      accessEndsAt: accessEndsAt(first, id),
      async recheck() {
        const r = await deps.auth.resolve(first.credential);
        if (!r.ok) return { ok: false, close: SYNC_CLOSE.unauthenticated };
        if (!can(r.principal, 'incident:read', id)) return { ok: false, close: SYNC_CLOSE.forbidden };
        return { ok: true, canWrite: can(r.principal, 'incident:write', id), accessEndsAt: accessEndsAt(r, id) };
      },
    };
    return { ok: true, auth };
  }

  app.get(
    '/:id',
    checkOrigin,
    upgradeWebSocket(
      async (c) => {
        const id = c.req.param('id') ?? '';
        const verdict = await decide(await resolveRequest(c, deps.auth), id);
        let session: ReturnType<SyncHub['connect']> | null = null;
        return {
          onOpen(_evt, ws) {
            if (!verdict.ok) {
              deps.logger.info({ doc: id, code: verdict.close.code, detail: verdict.detail }, 'refusing a sync socket');
              ws.close(verdict.close.code, verdict.close.reason);
              return;
            }
            session = deps.hub.connect(
              id,
              {
                send: (data) => ws.send(data as Uint8Array<ArrayBuffer>),
                close: (code, reason) => ws.close(code, reason),
              },
              verdict.auth,
            );
          },
          onMessage(evt) {
            session?.onMessage(evt.data);
          },
          onClose() {
            session?.onClose();
          },
        };
      },
      { onError: (e: unknown) => deps.logger.error({ err: e }, 'websocket handler failed') },
    ),
  );
  return app;
}

type BatchDoc = SyncBatchResponse['docs'][number];
type BatchError = SyncBatchResponse['errors'][number];

export function createSyncApiRoutes(deps: { docs: DocumentManager; store: DocumentStore; logger: Logger }): Hono<AuthEnv> {
  const { docs, store } = deps;
  const app = new Hono<AuthEnv>();

  app.post(
    '/sync/batch',
    bodyLimit({
      maxSize: BATCH_BODY_LIMIT,
      onError: () => {
        throw new DomainError('payload_too_large', `request body over ${BATCH_BODY_LIMIT} bytes; send fewer documents per batch`);
      },
    }),
    zValidator('json', syncBatchRequest, rejectInvalid),
    async (c) => {
      const { docs: items } = c.req.valid('json');
      const who: Principal = principalOf(c);
      const actor = actorOf(who);
      const results: (BatchDoc | BatchError)[] = new Array(items.length);
      const refusals: BatchError[] = [];

      async function syncOne(index: number): Promise<void> {
        const item = items[index];
        if (!item) return;
        const docId = item.id.toLowerCase();
        if (!can(who, 'incident:read', docId)) {
          results[index] = { id: item.id, code: 'forbidden', message: `forbidden: your role (${who.role}) lacks incident:read on ${item.id}` };
          return;
        }
        const sv = item.state_vector ? fromB64(item.state_vector) : Y.encodeStateVector(new Y.Doc());
        const svOk = validateStateVector(sv);
        if (!svOk.ok) {
          results[index] = { id: item.id, code: 'bad_request', message: svOk.error };
          return;
        }
        let update = item.update ? fromB64(item.update) : null;
        if (update && !can(who, 'incident:write', docId)) {
          // Refused, but the device still gets what it lacks.
          refusals.push({
            id: item.id,
            code: 'forbidden',
            message: `forbidden: your role (${who.role}) lacks incident:write on ${item.id}; the update was not applied`,
          });
          update = null;
        }
        if (update) {
          const v = validateUpdate(update);
          if (!v.ok) {
            results[index] = { id: item.id, code: 'bad_request', message: v.error };
            return;
          }
        }
        // Document ids are lower-case everywhere (the websocket room, the Y.Doc guid).
        results[index] = await docs.withDoc(
          docId,
          (doc, handle): BatchDoc | BatchError => {
            if (update) {
              const r = handle.applyUpdate(update, BATCH_ORIGIN, { decoded: true, actor, editor: editorOf(who) });
              if (!r.ok) return { id: item.id, code: r.refusal === 'unavailable' ? 'unavailable' : 'bad_request', message: r.error };
              // A corrected update was applied with the correction; the answer's diff carries it.
            }
            return { id: item.id, update: toB64(Y.encodeStateAsUpdate(doc, sv)), state_vector: toB64(Y.encodeStateVector(doc)) };
          },
          { lingerMs: BATCH_LINGER_MS },
        );
      }

      let next = 0;
      const workers = Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, async () => {
        while (next < items.length) {
          const index = next++;
          try {
            await syncOne(index);
          } catch (e) {
            deps.logger.error({ err: e, doc: items[index]?.id }, 'batch sync of a document failed');
            results[index] = { id: items[index]?.id ?? '', code: 'unavailable', message: 'could not sync this document; retry later' };
          }
        }
      });
      await Promise.all(workers);
      // Answer only once the device's updates are stored: it will not send them again.
      try {
        await docs.flush();
      } catch {
        throw new DomainError('unavailable', 'the database is not reachable; retry later');
      }
      const body: SyncBatchResponse = { docs: [], errors: [...refusals] };
      for (const r of results) {
        if (!r) continue;
        if ('code' in r) body.errors.push(r);
        else body.docs.push(r);
      }
      return c.json(body);
    },
  );

  app.get('/sync/changes', zValidator('query', syncChangesQuery, rejectInvalid), async (c) => {
    const { since, limit } = c.req.valid('query');
    const who = principalOf(c);
    const rows = await store.changes(since, limit + 1);
    const more = rows.length > limit;
    const scanned = rows.slice(0, limit);
    // The cursor covers everything scanned, including what this principal may not see.
    const changes = scanned.filter((r) => can(who, 'incident:read', r.id));
    const body: SyncChangesResponse = { changes, cursor: scanned.at(-1)?.seq ?? since, more };
    return c.json(body);
  });

  return app;
}

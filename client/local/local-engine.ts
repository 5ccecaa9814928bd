/**
 * The local-first engine the UI talks to: creates incidents in IndexedDB, opens documents on
 * screen (y-dexie + one websocket each, and only for those), runs the batched background sync
 * for everything else, and publishes the connection state (online / offline / syncing and the
 * local changes not yet on the server). Everything it uses is passed in.
 */
import { liveQuery } from 'dexie';
import * as Y from 'yjs';
import { addTask, createIncident as writeNewIncident } from '../../shared/incident-doc.ts';
import { SYNC_CLOSE } from '../../shared/api.ts';
import { isUuid, newId } from '../../shared/ids.ts';
import { exchange, syncOnce, type BatchSyncDeps } from './batch-sync.ts';
import { updatesTable } from './db.ts';
import { openSession, type DocSession } from './doc-session.ts';
import { createSessionRegistry, type SessionHandle } from './session-registry.ts';
import { addIncidentRow } from './doc-storage.ts';
import { listenToEnvironment } from './engine-events.ts';
import { summarizeDoc } from './incident-summary.ts';
import { createObservable } from './observable.ts';
import { isTransient, isUnauthenticated } from './sync-api.ts';
import { createSyncScheduler } from './sync-scheduler.ts';
import { clearRetryWaits, pendingTotals, recordLocalEdits } from './sync-state.ts';
import type { ConnectionSnapshot, ConnectionStatus, EngineDeps, LocalEngine, OpenResult } from './engine-types.ts';

export type { EngineDeps, LocalEngine, OpenResult } from './engine-types.ts';

class MissingDocument extends Error {
  constructor(id: string) {
    super(`incident ${id} is not on this device`);
  }
}

export function createLocalEngine(deps: EngineDeps): LocalEngine {
  const { db, api } = deps;
  const now = deps.now ?? Date.now;
  const onError = deps.onError ?? (() => undefined);
  let user = deps.user;
  const wanted = new Set<string>();
  const cleanups: (() => void)[] = [];
  let reachable: boolean | null = null;
  let batchRunning = false;
  let signedOut = false;
  /** Bumped by each login: see `SessionDeps.authEpoch`. */
  let authEpoch = 0;

  const connection = createObservable<ConnectionSnapshot>({ status: 'syncing', pending: 0, pendingDocs: 0, errorDocs: 0, lastSyncAt: null, lastError: null });
  const refreshStatus = (): void => {
    const liveSyncing = registry.sessions().some((session) => session.live.get().kind === 'syncing');
    const status: ConnectionStatus = signedOut
      ? 'signed-out'
      : !deps.isOnline() || reachable === false
        ? 'offline'
        : batchRunning || liveSyncing || reachable === null
          ? 'syncing'
          : 'online';
    connection.update({ status });
  };

  const batchDeps: BatchSyncDeps = {
    db,
    api,
    now,
    liveDoc: (id) => registry.liveDoc(id),
  };

  const visiblePeriod = deps.visiblePeriodMs ?? 10_000;
  const hiddenPeriod = deps.hiddenPeriodMs ?? 60_000;
  const scheduler = createSyncScheduler({
    periodMs: deps.visibility?.hidden ? hiddenPeriod : visiblePeriod,
    setTimeout: deps.timers?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
    clearTimeout: deps.timers?.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
    now,
    run: async () => {
      // Nothing to say to the server until the user logs in again; `wanted` is kept.
      if (signedOut) return 'ok';
      if (!deps.isOnline()) {
        reachable = false;
        refreshStatus();
        return 'failed';
      }
      batchRunning = true;
      refreshStatus();
      const ids = [...wanted];
      wanted.clear();
      try {
        const outcome = await syncOnce(batchDeps, { ids });
        if (outcome.kind === 'ok') {
          reachable = true;
          connection.update({ lastSyncAt: new Date(now()).toISOString(), lastError: null });
          return 'ok';
        }
        for (const id of ids) wanted.add(id);
        if (isUnauthenticated(outcome.failure)) markSignedOut();
        else if (outcome.transient) reachable = false;
        connection.update({ lastError: outcome.failure.message });
        return 'failed';
      } catch (e) {
        for (const id of ids) wanted.add(id);
        onError(e);
        connection.update({ lastError: e instanceof Error ? e.message : String(e) });
        return 'failed';
      } finally {
        batchRunning = false;
        refreshStatus();
      }
    },
  });

  const registry = createSessionRegistry({
    lingerMs: deps.lingerMs ?? 1_000,
    onOpened: (session) => {
      const unsubscribe = session.live.subscribe((state) => {
        if (state.kind === 'refused' && state.code === SYNC_CLOSE.unauthenticated.code) markSignedOut();
        if (state.kind === 'live') {
          reachable = true;
          // The server is back: do not wait out the background sync's backoff.
          if (scheduler.failures() > 0) void scheduler.now();
        }
        refreshStatus();
      });
      refreshStatus();
      return unsubscribe;
    },
    onClosed: refreshStatus,
    onError,
  });

  const openDocument = async (id: string): Promise<DocSession> => {
    const record = await db.incidents.get(id);
    if (!record) throw new MissingDocument(id);
    return openSession(
      { db, wsUrl: deps.wsUrl, WebSocketImpl: deps.WebSocketImpl, user, onEdited: () => scheduler.edited(), onError, authEpoch: () => authEpoch },
      id,
      record.doc,
    );
  };

  function markSignedOut(): void {
    if (signedOut) return;
    signedOut = true;
    refreshStatus();
  }

  async function ensureLocal(id: string): Promise<OpenResult | null> {
    if ((await db.incidents.get(id)) !== undefined) return null;
    // Not on this device: ask the server for it through the batch exchange.
    const res = await exchange(batchDeps, [id]);
    if (!res.ok) {
      if (isUnauthenticated(res.error)) {
        markSignedOut();
        return { kind: 'signed-out' };
      }
      if (isTransient(res.error)) return { kind: 'unreachable', message: res.error.message };
      return { kind: 'refused', code: res.error.kind === 'http' ? res.error.code : res.error.kind, message: res.error.message };
    }
    const refusal = res.value.refused.find((r) => r.id === id);
    if (refusal && refusal.code !== 'not_found') return { kind: 'refused', code: refusal.code, message: refusal.message };
    return (await db.incidents.get(id)) !== undefined ? null : { kind: 'not-found' };
  }

  return {
    db,
    connection,
    start() {
      const sub = liveQuery(() => pendingTotals(db)).subscribe({
        next: (t) => connection.update({ pending: t.changes, pendingDocs: t.documents, errorDocs: t.errors }),
        error: onError,
      });
      cleanups.push(() => sub.unsubscribe());
      if (deps.events) {
        cleanups.push(
          listenToEnvironment({
            events: deps.events,
            visibility: deps.visibility ?? null,
            onOnline() {
              refreshStatus();
              void api.health().then((ok) => {
                if (ok) void scheduler.now();
                else {
                  reachable = false;
                  refreshStatus();
                }
              });
            },
            onOffline() {
              reachable = false;
              refreshStatus();
            },
            onHide() {
              for (const session of registry.sessions()) void session.flush().catch(onError);
            },
            onVisibility(hidden) {
              scheduler.setPeriod(hidden ? hiddenPeriod : visiblePeriod);
              if (!hidden) scheduler.edited();
            },
          }),
        );
      }
      scheduler.start();
    },
    async stop() {
      scheduler.stop();
      for (const c of cleanups.splice(0)) c();
      await registry.closeAll();
    },
    async createIncident(init, opts) {
      const id = newId();
      const doc = new Y.Doc({ guid: id });
      writeNewIncident(doc, init);
      for (const title of opts?.tasks ?? []) addTask(doc, title);
      const summary = summarizeDoc(id, doc);
      if (!summary) throw new Error('createIncident produced no incident');
      await db.transaction('rw', [db.incidents, db.syncState, updatesTable(db)], async () => {
        await addIncidentRow(db, summary, doc);
        await recordLocalEdits(db, id, 1);
      });
      doc.destroy();
      scheduler.edited();
      return id;
    },
    async open(id) {
      if (!isUuid(id)) return { kind: 'not-found' };
      if (!registry.liveDoc(id)) {
        const missing = await ensureLocal(id);
        if (missing) return missing;
      }
      let handle: SessionHandle;
      try {
        handle = await registry.acquire(id, () => openDocument(id));
      } catch (e) {
        if (e instanceof MissingDocument) return { kind: 'not-found' };
        throw e;
      }
      // Learn the server's state vector for this document (y-websocket has no acks).
      wanted.add(id);
      scheduler.edited();
      return { kind: 'open', session: handle.session, release: handle.release };
    },
    async syncNow() {
      await clearRetryWaits(db);
      await scheduler.now();
    },
    syncSoon() {
      scheduler.edited();
    },
    setUser(next) {
      user = next;
      for (const session of registry.sessions()) session.setUser(next);
    },
    markSignedOut,
    signedIn(next) {
      user = next;
      signedOut = false;
      authEpoch++;
      reachable = null;
      for (const session of registry.sessions()) {
        session.setUser(next);
        const live = session.live.get();
        // y-websocket stops on 4400-4499 closes; the 4403 ones can go again now.
        if (live.kind === 'refused' && live.code === SYNC_CLOSE.unauthenticated.code) session.reconnect();
      }
      refreshStatus();
      // Documents refused under the old session (or role) get their chance again at once.
      void clearRetryWaits(db)
        .catch(onError)
        .finally(() => void scheduler.now());
    },
  };
}

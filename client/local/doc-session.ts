/**
 * A document on screen: loaded through y-dexie (persisted as it changes), kept live with a stock
 * y-websocket provider at /sync/<id>, with awareness for presence and cursors. It records local
 * edits for the sync state and keeps the list index row in step. Closing destroys the websocket
 * provider first, then releases the doc (y-dexie destroys it).
 */
import { DexieYProvider } from 'y-dexie';
import { removeAwarenessStates, type Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { SYNC_CLOSE } from '../../shared/api.ts';
import type { SentpilotDb } from './db.ts';
import { summarizeDoc } from './incident-summary.ts';
import { createObservable, type ReadonlyObservable } from './observable.ts';
import { createPresence, setPresenceUser } from './presence.ts';
import { recordLocalEdits } from './sync-state.ts';
import type { LocalUser } from './user-identity.ts';

type LiveState = { kind: 'off' } | { kind: 'connecting' } | { kind: 'syncing' } | { kind: 'live' } | { kind: 'refused'; code: number; reason: string };

export interface DocSession {
  readonly id: string;
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  /** The websocket's state for this document. */
  readonly live: ReadonlyObservable<LiveState>;
  setUser(user: LocalUser | null): void;
  /** Try the websocket again (after a refusal, once the cause is fixed). */
  reconnect(): void;
  /** Write pending edit counts and the index row now (before a page hides). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionDeps {
  db: SentpilotDb;
  /** ws(s)://host/sync, or null to stay local (tests). */
  wsUrl: string | null;
  WebSocketImpl?: typeof WebSocket;
  user: LocalUser | null;
  /** Local edits were recorded in the sync state. */
  onEdited(id: string): void;
  /** Something failed in the background (logged by the engine). */
  onError(error: unknown): void;
  /**
   * Counts logins on this device. A socket that was opening with the old session's cookie when the
   * user logged in again is refused (4403) after the login: that refusal is for the old session,
   * so the socket goes again instead of reporting it.
   */
  authEpoch?: () => number;
}

const EDIT_FLUSH_MS = 250;
const REINDEX_MS = 400;

/**
 * Load the document's stored updates through y-dexie. While it applies them (one transaction of
 * everything stored) the document has no 'updateV2' listener, so Yjs does not encode the whole
 * load again for y-dexie's own listener, which ignores it (its origin is the provider): at 10,000
 * entries that encoding was half of a ~1 s task. Nothing else can edit the document before it
 * is loaded: the session that exposes it is not returned yet.
 */
async function loadFromIndexedDb(doc: Y.Doc): Promise<void> {
  const fresh = !doc.isLoaded;
  const dexie = DexieYProvider.load(doc);
  if (!fresh) return dexie.whenLoaded;
  const observers = doc._observers as Map<string, Set<unknown>>;
  const listeners = observers.get('updateV2');
  observers.delete('updateV2');
  try {
    await dexie.whenLoaded;
  } finally {
    if (listeners) {
      // Keep any listener added meanwhile.
      for (const f of observers.get('updateV2') ?? []) listeners.add(f);
      observers.set('updateV2', listeners);
    }
  }
}

/** Open a document that has a row in `incidents`. */
export async function openSession(deps: SessionDeps, id: string, doc: Y.Doc): Promise<DocSession> {
  const { db } = deps;
  await loadFromIndexedDb(doc);

  const live = createObservable<LiveState>({ kind: deps.wsUrl ? 'connecting' : 'off' });
  const awareness = createPresence(doc, deps.user);

  let edits = 0;
  let editTimer: ReturnType<typeof setTimeout> | null = null;
  let reindexTimer: ReturnType<typeof setTimeout> | null = null;
  let lastIndexed = '';
  let closed = false;

  const flushEdits = async (): Promise<void> => {
    if (editTimer) clearTimeout(editTimer);
    editTimer = null;
    const count = edits;
    edits = 0;
    if (count === 0) return;
    await recordLocalEdits(db, id, count);
    deps.onEdited(id);
  };
  const reindex = async (): Promise<void> => {
    if (reindexTimer) clearTimeout(reindexTimer);
    reindexTimer = null;
    if (doc.isDestroyed) return;
    const summary = summarizeDoc(id, doc);
    if (!summary) return;
    const json = JSON.stringify(summary);
    if (json === lastIndexed) return;
    lastIndexed = json;
    await db.incidents.put(summary);
  };
  const fail = (e: unknown): void => deps.onError(e);

  const onUpdate = (_update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction): void => {
    if (tr.local) {
      edits++;
      editTimer ??= setTimeout(() => void flushEdits().catch(fail), EDIT_FLUSH_MS);
    }
    if (reindexTimer) clearTimeout(reindexTimer);
    reindexTimer = setTimeout(() => void reindex().catch(fail), REINDEX_MS);
  };
  doc.on('update', onUpdate);

  let provider: WebsocketProvider | null = null;
  if (deps.wsUrl) {
    provider = new WebsocketProvider(deps.wsUrl, id, doc, {
      awareness,
      // Tabs of this browser already share the document through IndexedDB (y-dexie) and each
      // has its own socket; the BroadcastChannel copy would re-encode the whole doc per open.
      disableBc: true,
      ...(deps.WebSocketImpl ? { WebSocketPolyfill: deps.WebSocketImpl } : {}),
    });
    const ws = provider;
    const epochNow = (): number => deps.authEpoch?.() ?? 0;
    let attemptEpoch = epochNow();
    ws.on('status', ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) => {
      if (status === 'connecting') attemptEpoch = epochNow();
      if (live.get().kind === 'refused') return;
      live.set(status === 'connected' ? { kind: ws.synced ? 'live' : 'syncing' } : { kind: 'connecting' });
    });
    ws.on('sync', (synced: boolean) => {
      if (live.get().kind === 'refused') return;
      if (ws.wsconnected) live.set({ kind: synced ? 'live' : 'syncing' });
    });
    // y-websocket stops reconnecting by itself on 4400-4499 and reports it here.
    ws.on('closed', ({ code, reason }: { code: number; reason: string }) => {
      if (code === SYNC_CLOSE.unauthenticated.code && attemptEpoch !== epochNow()) {
        ws.connect();
        return;
      }
      live.set({ kind: 'refused', code, reason: reason || 'refused by the server' });
    });
  }

  return {
    id,
    doc,
    awareness,
    live,
    setUser: (user) => setPresenceUser(awareness, user),
    reconnect() {
      if (!provider) return;
      live.set({ kind: 'connecting' });
      provider.connect();
    },
    async flush() {
      await Promise.all([flushEdits(), reindex()]);
    },
    async close() {
      if (closed) return;
      closed = true;
      doc.off('update', onUpdate);
      try {
        await Promise.all([flushEdits(), reindex()]);
      } catch (e) {
        fail(e);
      }
      // Tell peers we left while the socket is still open, then tear down in the safe order.
      removeAwarenessStates(awareness, [doc.clientID], 'close');
      provider?.destroy();
      awareness.destroy();
      live.set({ kind: 'off' });
      DexieYProvider.release(doc);
    },
  };
}

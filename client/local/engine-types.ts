/**
 * The local engine's public shape: what it publishes (connection state), what opening a
 * document can give, its methods, and what it needs passed in.
 */
import type { NewIncident } from '../../shared/incident-doc.ts';
import type { SentpilotDb } from './db.ts';
import type { DocSession } from './doc-session.ts';
import type { ReadonlyObservable } from './observable.ts';
import type { SyncApi } from './sync-api.ts';
import type { SchedulerDeps } from './sync-scheduler.ts';
import type { LocalUser } from './user-identity.ts';

/** `signed-out`: the server refused the session (401 or a 4403 close); edits stay on the device. */
export type ConnectionStatus = 'online' | 'offline' | 'syncing' | 'signed-out';

/**
 * Whether the server may be asked: "syncing" counts (the engine reports it during every periodic
 * sync), so reacting to this, not to "online", reacts to the network coming back and not to each sync.
 */
export const canReachServer = (status: string): boolean => status !== 'offline' && status !== 'signed-out';

export interface ConnectionSnapshot {
  status: ConnectionStatus;
  /** Local changes not yet confirmed by the server. */
  pending: number;
  /** Incidents holding such changes. */
  pendingDocs: number;
  /** Incidents the server refused at the last attempt. */
  errorDocs: number;
  lastSyncAt: string | null;
  /** Why the last background sync failed, for the header's tooltip. */
  lastError: string | null;
}

export type OpenResult =
  | { kind: 'open'; session: DocSession; release(): void }
  | { kind: 'not-found' }
  | { kind: 'unreachable'; message: string }
  /** Not on this device, and the server wants a login first. */
  | { kind: 'signed-out' }
  | { kind: 'refused'; code: string; message: string };

export interface LocalEngine {
  readonly db: SentpilotDb;
  readonly connection: ReadonlyObservable<ConnectionSnapshot>;
  start(): void;
  stop(): Promise<void>;
  /** Create an incident on this device (works offline), with an optional task checklist; resolves to its id. */
  createIncident(init: NewIncident, opts?: { tasks?: readonly string[] }): Promise<string>;
  /** Open a document for the screen; call `release` when it leaves the screen. */
  open(id: string): Promise<OpenResult>;
  /** Run the background sync now, ignoring backoff and per-incident waits ("Sync now"). */
  syncNow(): Promise<void>;
  /** Run the background sync soon (a view that shows server data came on screen). */
  syncSoon(): void;
  setUser(user: LocalUser | null): void;
  /**
   * The session ended (a 401 from any API call, or a 4403 close): stop talking to the server
   * and keep every edit on the device until `signedIn`.
   */
  markSignedOut(): void;
  /** Logged in again: sync at once and reconnect the sockets the server closed. */
  signedIn(user: LocalUser): void;
}

export interface EngineDeps {
  db: SentpilotDb;
  api: SyncApi;
  /** ws(s)://host/sync, or null to keep documents local (tests). */
  wsUrl: string | null;
  WebSocketImpl?: typeof WebSocket;
  /** Where `online`, `offline` and `pagehide` are heard (window), or null. */
  events: EventTarget | null;
  /** The document, for `visibilitychange`: sync often while on screen, rarely when hidden. */
  visibility?: (EventTarget & { readonly hidden: boolean }) | null;
  /** Quiet period between background syncs while the app is on screen (default 10 s). */
  visiblePeriodMs?: number;
  /** … and while it is hidden (default 60 s). */
  hiddenPeriodMs?: number;
  isOnline(): boolean;
  user: LocalUser | null;
  now?(): number;
  timers?: Pick<SchedulerDeps, 'setTimeout' | 'clearTimeout'>;
  /** Session linger after leaving the screen, so a quick return does not reconnect. */
  lingerMs?: number;
  onError?(error: unknown): void;
}

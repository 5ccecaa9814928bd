/**
 * The document manager's contract (implemented in document-manager.ts): what sockets, the batch
 * endpoint, the projector and server jobs use to reach an incident document.
 */
import type * as Y from 'yjs';
import type * as awarenessProtocol from 'y-protocols/awareness';
import type { Editor } from '../../shared/incident-guard.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { Logger } from '../logger.ts';
import type { DocAuditRecord } from './update-writer.ts';
import type { DocumentStore } from './document-store.ts';

/** Origin of updates read back from the store (another process wrote them): relay, never re-store. */
export const DB_ORIGIN = Symbol('sentpilot-db');

/** A receiver of a document's messages: one websocket. */
export interface DocPeer {
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface DocHandle {
  readonly id: string;
  readonly doc: Y.Doc;
  /** Presence of the document's peers (created on first use). */
  readonly awareness: awarenessProtocol.Awareness;
  /** Every stored update with a seq up to this one is in `doc`. */
  readonly seq: number;
  /**
   * Apply an update from outside (a peer, the batch endpoint). `decoded`: the caller already ran
   * validateUpdate on it. `actor`: who sent it, for the audit log (default: the system).
   * `editor`: a device's update, held to the rules of shared/incident-guard.ts (limits refuse it;
   * erasing protected content is corrected, and `corrected` says what was written back). An
   * error means it was refused and nothing changed.
   */
  applyUpdate(update: Uint8Array, origin: unknown, opts?: { decoded?: boolean; actor?: AuditActor; editor?: Editor }): ApplyResult;
  /** Apply an already validated awareness update from a peer and relay it (to the sender too). */
  applyAwarenessUpdate(update: Uint8Array, peer: DocPeer): void;
  addPeer(peer: DocPeer): void;
  removePeer(peer: DocPeer): void;
  release(): void;
}

/**
 * What applying an update came to. A refusal says why: `malformed` (does not decode or apply),
 * `limit` (adds too many entries), `unavailable` (updates already accepted wait too long to be
 * stored: the sender keeps its edits and sends them again later).
 */
export type ApplyResult = { ok: true; value: { corrected: string | null } } | { ok: false; error: string; refusal: 'malformed' | 'limit' | 'unavailable' };

export interface OpenOptions {
  /** Keep the document this long after its last user leaves (default: the manager's linger). */
  lingerMs?: number;
  /**
   * Called with the stored state (snapshot + updates, in order) when this open reads the
   * document from the store, before it is applied: a socket can answer its client's sync step 1
   * from these bytes while the server builds its own copy. Not called for a loaded document.
   */
  onStored?: (parts: Uint8Array[]) => void;
}

export interface DocumentManager {
  /** Load (or share) a document; call `release()` on the handle when done. */
  open(id: string, opts?: OpenOptions): Promise<DocHandle>;
  /** Open, run `fn`, release. Server writes go through here with origin SERVER_ORIGIN. */
  withDoc<T>(id: string, fn: (doc: Y.Doc, handle: DocHandle) => T | Promise<T>, opts?: OpenOptions): Promise<T>;
  /** Called after every change to a loaded document (any origin, including other processes). */
  onChange(listener: (id: string, origin: unknown) => void): () => void;
  /** Store every accepted update now. */
  flush(): Promise<void>;
  /** Null while updates are being stored in time; otherwise why devices' updates are refused for now. */
  busy(): string | null;
  /** Resolve once every accepted update of this document is stored (at once when none waits). */
  flushDoc(id: string): Promise<void>;
  /** Fold a document's stored updates into its snapshot. */
  compact(id: string): Promise<{ removed: number }>;
  isLoaded(id: string): boolean;
  /**
   * Sizes of what the manager holds: documents loaded and loading, peers, documents with updates
   * not yet stored, the writer's per-document counters, queued compactions. Once every document
   * is unloaded and stored, all of them are 0 (nothing is kept per document ever seen).
   */
  stats(): { loaded: number; loading: number; peers: number; pendingDocs: number; writerCounters: number; compactionsQueued: number };
  /** Subscribe to other processes' announcements. */
  start(): Promise<void>;
  /** Flush, stop listening, drop every document. Peers should have been closed before. */
  close(): Promise<void>;
}

export interface DocumentManagerOptions {
  store: DocumentStore;
  logger: Logger;
  /** Linger after the last user leaves (default 30 s). */
  lingerMs?: number;
  /** Refuse devices' updates while an accepted one has waited this long to be stored (default 10 s). */
  maxUnstoredMs?: number;
  /** … or while this many bytes wait (default 64 MiB). */
  maxUnstoredBytes?: number;
  /** Max delay before accepted updates are written (default 5 ms). */
  flushDelayMs?: number;
  /** Compact when a document has this many stored updates (default 500). */
  compactThreshold?: number;
  /** Record each flush's changes per document per actor (the audit log). */
  audit?: (records: DocAuditRecord[]) => Promise<void>;
  /** On unload, compact when at least this many updates are stored (default 20). */
  compactOnUnload?: number;
}

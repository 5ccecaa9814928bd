/**
 * One websocket on /sync/<id> speaking the y-websocket protocol, and the hub that tracks every
 * such socket (keepalive, shutdown). On open the server sends its sync step 1 and the current
 * awareness; it answers a step 1 with a step 2, applies step 2s and updates through the document
 * manager, and relays awareness to every peer including the sender, each socket's presence only
 * for the client ids it owns and under its own identity (awareness-guard.ts).
 *
 * Refusals close only this socket, with the codes of SYNC_CLOSE (4400-4499: do not retry):
 * a bad document id, a message that does not decode, a message over the size cap, a credential
 * that expired or was revoked while the socket was open (4403), access taken away (4404).
 *
 * Access: each socket carries its principal's audit actor and whether it may write. A read-only
 * socket's document updates are dropped (never applied, relayed or stored); it still receives
 * everyone else's. The hub re-checks every socket's credential periodically, on demand
 * (`recheckAll`, called in every process when anything is revoked or changed), and at the moment
 * its access would end by itself (`accessEndsAt`: a guest grant or the credential expiring). A
 * socket that may no longer write stays open read-only and is told so (permission denied).
 */
import * as awarenessProtocol from 'y-protocols/awareness';
import { SYNC_CLOSE } from '../../shared/api.ts';
import { isUuid } from '../../shared/ids.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { Editor } from '../../shared/incident-guard.ts';
import type { Logger } from '../logger.ts';
import type { DocHandle, DocPeer, DocumentManager } from './document-types.ts';
import { createAwarenessGuard, type PresenceOwner } from './awareness-guard.ts';
import {
  encodeAwarenessMessage,
  encodePermissionDenied,
  encodeStoredStep2,
  encodeSyncStep1,
  encodeSyncStep2,
  KEEPALIVE_MESSAGE,
  parseMessage,
  type ClientMessage,
} from './protocol.ts';

/** The socket as the session needs it (a Hono WSContext in production, a fake in tests). */
interface SocketLike {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
}

interface SocketSession {
  onMessage(data: unknown): void;
  onClose(): void;
}

/** Who is on the socket, as decided at the upgrade. */
export interface SocketAuth {
  actor: AuditActor;
  canWrite: boolean;
  /** Who writes, for the rules on what an update may erase (shared/incident-guard.ts); none for system sockets. */
  editor?: Editor;
  /**
   * When access ends by itself unless renewed (the session's idle expiry, a token's or a guest
   * grant's expiry; ms since the epoch): the socket is re-checked at that moment.
   */
  accessEndsAt?: number | null;
  /** Is the credential still good, and may it still read (and write) this document? */
  recheck(): Promise<{ ok: true; canWrite: boolean; accessEndsAt?: number | null } | { ok: false; close: { code: number; reason: string } }>;
}

/** Longest delay setTimeout takes; access ending later is caught by a later re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Told to a socket whose principal may no longer write (it stays open, read-only). */
const READ_ONLY_NOTICE = 'your access to this incident is now read-only: your edits are no longer saved';

/** A socket with full access, for in-process tests without identities. */
const SYSTEM_SOCKET_AUTH: SocketAuth = {
  actor: { kind: 'system', id: null, name: 'system' },
  canWrite: true,
  recheck: async () => ({ ok: true, canWrite: true }),
};

export interface SyncHub {
  connect(docId: string, socket: SocketLike, auth?: SocketAuth): SocketSession;
  /** Re-check every open socket's credential now (after a revocation). */
  recheckAll(): Promise<void>;
  /** Close every socket (shutdown: 1012, clients reconnect later). */
  closeAll(code: number, reason: string): void;
  size(): number;
  stop(): void;
}

export interface SyncHubOptions {
  docs: DocumentManager;
  logger: Logger;
  /** Largest message accepted (default 10 MiB); larger closes the socket with 4402. */
  maxMessageBytes?: number;
  /** Send a keepalive to a socket that has been sent nothing for this long (default 15 s). */
  keepaliveMs?: number;
  /** Re-check every socket's credential this often (default 30 s). */
  authRecheckMs?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Presence is relayed to every peer: one client's state may not be large. */
const MAX_AWARENESS_BYTES = 256 * 1024;

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

export function createSyncHub(opts: SyncHubOptions): SyncHub {
  const { docs, logger } = opts;
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const keepaliveMs = opts.keepaliveMs ?? 15_000;
  interface Tracked {
    closeWith(code: number, reason: string): void;
    idleSince(): number;
    keepalive(): void;
    recheck(): Promise<void>;
  }
  const sessions = new Set<Tracked>();
  const presence = createAwarenessGuard();

  async function recheckAll(): Promise<void> {
    await Promise.all([...sessions].map((s) => s.recheck()));
  }
  const authTimer = setInterval(() => {
    recheckAll().catch((e: unknown) => logger.error({ err: e }, 're-checking socket credentials failed'));
  }, opts.authRecheckMs ?? 30_000);
  authTimer.unref();

  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const s of sessions) if (now - s.idleSince() >= keepaliveMs) s.keepalive();
    },
    Math.max(50, Math.floor(keepaliveMs / 3)),
  );
  timer.unref();

  function connect(docId: string, socket: SocketLike, auth: SocketAuth = SYSTEM_SOCKET_AUTH): SocketSession {
    let closed = false;
    let canWrite = auth.canWrite;
    let handle: DocHandle | null = null;
    let queued: ClientMessage[] = [];
    let queuedBytes = 0;
    let lastSent = Date.now();
    const log = logger.child({ doc: docId });
    const owner: PresenceOwner = { actor: auth.actor };

    const peer: DocPeer = {
      send(message) {
        if (closed) return;
        socket.send(message);
        lastSent = Date.now();
      },
      close: (code, reason) => closeWith(code, reason),
    };

    const session: Tracked = {
      closeWith,
      idleSince: () => lastSent,
      keepalive: () => peer.send(KEEPALIVE_MESSAGE),
      async recheck() {
        if (closed) return;
        const r = await auth.recheck();
        if (closed) return;
        if (!r.ok) return refuse(r.close, 'credential no longer valid');
        if (canWrite && !r.canWrite) {
          log.info('sync socket downgraded to read-only');
          peer.send(encodePermissionDenied(READ_ONLY_NOTICE));
        }
        canWrite = r.canWrite;
        const ends = r.accessEndsAt ?? null;
        // Still valid at its own end (clocks disagree by a hair): look again in a moment, not in a loop.
        scheduleExpiry(ends !== null && ends <= Date.now() ? Date.now() + 1_000 : ends);
      },
    };

    /** Re-check this socket when its access would end by itself (a grant or session expiring). */
    let expiryTimer: NodeJS.Timeout | null = null;
    function scheduleExpiry(at: number | null): void {
      if (expiryTimer) clearTimeout(expiryTimer);
      expiryTimer = null;
      if (closed || at === null) return;
      const delay = Math.max(0, at - Date.now()) + 1;
      if (delay > MAX_TIMER_MS) return;
      expiryTimer = setTimeout(() => {
        expiryTimer = null;
        session.recheck().catch((e: unknown) => log.error({ err: e }, 're-checking a socket at its access expiry failed'));
      }, delay);
      expiryTimer.unref();
    }

    function cleanup(): void {
      sessions.delete(session);
      if (expiryTimer) clearTimeout(expiryTimer);
      expiryTimer = null;
      queued = [];
      if (handle) {
        handle.removePeer(peer);
        handle.release();
        handle = null;
      }
      presence.release(docId, owner);
    }

    function closeWith(code: number, reason: string): void {
      if (closed) return;
      closed = true;
      cleanup();
      try {
        socket.close(code, reason);
      } catch {
        // already closing
      }
    }

    function refuse(close: { code: number; reason: string }, detail: string): void {
      log.warn({ code: close.code, detail }, 'closing a sync socket');
      closeWith(close.code, close.reason);
    }

    function handleMessage(h: DocHandle, m: ClientMessage): void {
      switch (m.type) {
        case 'sync-step-1':
          peer.send(encodeSyncStep2(h.doc, m.stateVector));
          return;
        case 'sync-step-2':
        case 'update': {
          // Read-only: dropped, never applied, relayed or stored.
          if (!canWrite) return;
          const r = h.applyUpdate(m.update, peer, { decoded: true, actor: auth.actor, editor: auth.editor });
          if (!r.ok)
            refuse(
              r.refusal === 'limit' ? SYNC_CLOSE.tooManyEntries : r.refusal === 'unavailable' ? SYNC_CLOSE.tryAgainLater : SYNC_CLOSE.malformedMessage,
              r.error,
            );
          // Corrected: the socket keeps going (it has the correction); it is told why.
          else if (r.value.corrected) peer.send(encodePermissionDenied(r.value.corrected));
          return;
        }
        case 'awareness': {
          if (m.update.byteLength > MAX_AWARENESS_BYTES) return refuse(SYNC_CLOSE.messageTooLarge, `awareness of ${m.update.byteLength} bytes`);
          // Only this socket's own entries, under its identity (awareness-guard.ts).
          const own = presence.rewrite(docId, h.awareness, owner, m.update);
          if (own) h.applyAwarenessUpdate(own, peer);
          return;
        }
        case 'query-awareness': {
          const aw = h.awareness;
          const clients = [...aw.getStates().keys()];
          if (clients.length) peer.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(aw, clients)));
          return;
        }
      }
    }

    function processMessage(m: ClientMessage): void {
      if (!handle) return;
      try {
        handleMessage(handle, m);
      } catch (e) {
        log.error({ err: e }, 'sync message handling failed');
        closeWith(1011, 'internal error');
      }
    }

    if (!isUuid(docId)) {
      closed = true;
      log.warn({ code: SYNC_CLOSE.badDocumentId.code }, 'refusing a sync socket for a bad document id');
      socket.close(SYNC_CLOSE.badDocumentId.code, SYNC_CLOSE.badDocumentId.reason);
      return { onMessage() {}, onClose() {} };
    }

    /**
     * The document is being read from the store: answer the client's sync step 1 from the stored
     * bytes now, while the server applies them to its own copy (a cold open costs one apply on
     * each side, in parallel, instead of one after the other).
     */
    function answerFromStore(parts: Uint8Array[]): void {
      const i = queued.findIndex((m) => m.type === 'sync-step-1');
      const step1 = queued[i];
      if (closed || !step1 || step1.type !== 'sync-step-1') return;
      queued.splice(i, 1);
      for (const m of encodeStoredStep2(parts, step1.stateVector)) peer.send(m);
    }

    sessions.add(session);
    scheduleExpiry(auth.accessEndsAt ?? null);
    docs.open(docId, { onStored: answerFromStore }).then(
      (h) => {
        if (closed) {
          h.release();
          return;
        }
        handle = h;
        h.addPeer(peer);
        peer.send(encodeSyncStep1(h.doc));
        const aw = h.awareness;
        const clients = [...aw.getStates().keys()];
        if (clients.length) peer.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(aw, clients)));
        const pending = queued;
        queued = [];
        for (const m of pending) {
          if (closed) break;
          processMessage(m);
        }
      },
      (e: unknown) => {
        log.error({ err: e }, 'could not open the document for a sync socket');
        closeWith(1011, 'document unavailable');
      },
    );

    return {
      onMessage(data) {
        if (closed) return;
        const bytes = toBytes(data);
        if (!bytes) return refuse(SYNC_CLOSE.malformedMessage, 'text frame');
        if (bytes.byteLength > maxBytes) return refuse(SYNC_CLOSE.messageTooLarge, `${bytes.byteLength} bytes`);
        const parsed = parseMessage(bytes);
        if (!parsed.ok) return refuse(SYNC_CLOSE.malformedMessage, parsed.error);
        if (!handle) {
          queuedBytes += bytes.byteLength;
          if (queuedBytes > maxBytes) return refuse(SYNC_CLOSE.messageTooLarge, 'too much data before the document loaded');
          queued.push(parsed.value);
          return;
        }
        processMessage(parsed.value);
      },
      onClose() {
        if (closed) return;
        closed = true;
        cleanup();
      },
    };
  }

  return {
    connect,
    closeAll(code, reason) {
      for (const s of [...sessions]) s.closeWith(code, reason);
    },
    recheckAll,
    size: () => sessions.size,
    stop() {
      clearInterval(timer);
      clearInterval(authTimer);
    },
  };
}

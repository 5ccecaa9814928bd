/**
 * The document manager: holds the incident documents that sockets, batch syncs and server jobs
 * use, relays updates and awareness between the peers of a document, hands every accepted
 * update to the writer (Postgres), catches up on updates other processes announce, compacts,
 * and unloads a document a short linger after its last user leaves.
 *
 * Longer than most files because the load / relay / unload life cycle of an entry is one piece
 * of state that must stay consistent; the types, compaction and the writer live in their own
 * modules (document-types.ts, compactor.ts, update-writer.ts).
 *
 * Validating updates (why a bad update never reaches the document, other peers or Postgres):
 *  1. Every update is first decoded completely with Y.decodeUpdate (protocol.ts): structs,
 *     contents and delete set. That rejects garbage, truncation and unknown content without
 *     touching the document, at the cost of one parse of the update (not of the document).
 *     The decodable shape fuzzing found to make Yjs throw half-way (an empty delete range) is
 *     refused there too.
 *  2. It is then applied to the live document while the document's `update` events are captured
 *     instead of relayed. Should Yjs still throw while integrating (a decodable but hostile
 *     update), the captured partial result is dropped before anyone sees it, and the in-memory
 *     copy, which may now hold part of it, is discarded: its other sockets are closed with 1011
 *     and reconnect to a copy loaded from Postgres, which never received the partial update.
 * Cloning the document per update would be exact as well, but costs O(document) per keystroke.
 */
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { createCompactor, mergeToState } from './compactor.ts';
import type { DocumentChange, StoreSubscription } from './document-store.ts';
import {
  DB_ORIGIN,
  type ApplyResult,
  type DocHandle,
  type DocPeer,
  type DocumentManager,
  type DocumentManagerOptions,
  type OpenOptions,
} from './document-types.ts';
import { encodeAwarenessMessage, encodeUpdateMessage, validateAwarenessUpdate, validateUpdate } from './protocol.ts';
import { createUpdateWriter } from './update-writer.ts';
import { SYSTEM_ACTOR, type AuditActor } from '../audit/audit-types.ts';
import { addTimelineEntry } from '../../shared/incident-doc.ts';
import { deviceLimitProblem, enforceRules, type Correction, type Editor } from '../../shared/incident-guard.ts';

/** Origin of an update that corrected a device's: relayed to every peer, its sender included. */
const CORRECTION_ORIGIN = Symbol('sentpilot-correction');
/** Author of the timeline entries that say what the server corrected. */
const GUARD_AUTHOR = 'sentpilot';

/**
 * Before applying a device's update: does it add more than the guard's limits allow? Each new
 * entry is two Yjs types (its map and its text), so new types bound the new entries.
 */
function overLimits(doc: Y.Doc, update: Uint8Array, editor: Editor): string | null {
  let types = 0;
  for (const s of Y.decodeUpdate(update).structs) if (s instanceof Y.Item && s.content instanceof Y.ContentType) types++;
  return deviceLimitProblem(doc, editor, Math.ceil(types / 2));
}

/** Origin of awareness relayed by another process: relay to local peers, never publish back. */
const REMOTE_AWARENESS = Symbol('sentpilot-remote-awareness');

interface Entry {
  id: string;
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness | null;
  peers: Map<DocPeer, Set<number>>;
  refs: number;
  seq: number;
  lingerMs: number;
  unloadTimer: NodeJS.Timeout | null;
  capture: [Uint8Array, unknown][] | null;
  catchingUp: boolean;
  catchUpAgain: boolean;
  gone: boolean;
  storedUpdates: number;
}

export function createDocumentManager(opts: DocumentManagerOptions): DocumentManager {
  const { store, logger } = opts;
  const defaultLinger = opts.lingerMs ?? 30_000;
  const compactOnUnload = opts.compactOnUnload ?? 20;
  const entries = new Map<string, Entry>();
  interface LoadSlot {
    promise: Promise<Entry>;
    notifiedSeq: number;
    onStored: ((parts: Uint8Array[]) => void)[];
  }
  const loading = new Map<string, LoadSlot>();
  const listeners = new Set<(id: string, origin: unknown) => void>();
  let subscription: StoreSubscription | null = null;
  let closed = false;

  const compactor = createCompactor({ store, logger, mergeToState, threshold: opts.compactThreshold ?? 500 });
  const writer = createUpdateWriter({
    store,
    logger,
    delayMs: opts.flushDelayMs ?? 5,
    mergeUpdates: Y.mergeUpdates,
    audit: opts.audit,
    onAppended(results) {
      for (const r of results) {
        const entry = entries.get(r.id);
        if (entry) {
          // Nothing else was stored between prevSeq and seq, and seq is this process's own update.
          if (r.prevSeq <= entry.seq) entry.seq = Math.max(entry.seq, r.seq);
          entry.storedUpdates = r.pendingUpdates;
        }
        compactor.consider(r.id, r.pendingUpdates);
      }
    },
  });

  const maxUnstoredMs = opts.maxUnstoredMs ?? 10_000;
  const maxUnstoredBytes = opts.maxUnstoredBytes ?? 64 * 1024 * 1024;
  /** Accepted updates live in memory until stored: past these bounds, devices wait (they keep their edits). */
  function busy(): string | null {
    const b = writer.backlog();
    if (b.oldestMs > maxUnstoredMs)
      return `updates accepted ${Math.round(b.oldestMs / 1000)} s ago are not stored yet (the database is slow or away); send again later`;
    if (b.bytes > maxUnstoredBytes) return `${Math.round(b.bytes / 1048576)} MiB of accepted updates wait to be stored; send again later`;
    return null;
  }

  function send(peer: DocPeer, message: Uint8Array): void {
    try {
      peer.send(message);
    } catch (e) {
      logger.debug({ err: e }, 'send to a peer failed');
    }
  }

  function emitChange(id: string, origin: unknown): void {
    for (const l of listeners) {
      try {
        l(id, origin);
      } catch (e) {
        logger.error({ err: e, doc: id }, 'document change listener failed');
      }
    }
  }

  function relayUpdate(entry: Entry, update: Uint8Array, origin: unknown, persist = origin !== DB_ORIGIN, actor: AuditActor = SYSTEM_ACTOR): void {
    if (entry.peers.size > 0) {
      const message = encodeUpdateMessage(update);
      for (const peer of entry.peers.keys()) if (peer !== origin) send(peer, message);
    }
    if (persist) writer.enqueue(entry.id, update, actor);
    emitChange(entry.id, origin);
  }

  function awarenessOf(entry: Entry): awarenessProtocol.Awareness {
    if (entry.awareness) return entry.awareness;
    const awareness = new awarenessProtocol.Awareness(entry.doc);
    awareness.setLocalState(null); // the server is not a user
    awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const controlled = entry.peers.get(origin as DocPeer);
      if (controlled) {
        for (const c of added) controlled.add(c);
        for (const c of removed) controlled.delete(c);
      }
      const changed = [...added, ...updated, ...removed];
      if (changed.length === 0) return;
      const update = awarenessProtocol.encodeAwarenessUpdate(awareness, changed);
      // Presence from this process's peers goes to the other processes holding the document;
      // expiry ('timeout') happens in each process on its own.
      if (origin !== REMOTE_AWARENESS && origin !== 'timeout') subscription?.publishAwareness(entry.id, update);
      if (entry.peers.size === 0) return;
      // To every peer, the sender included: y-websocket counts it as a sign of life.
      const message = encodeAwarenessMessage(update);
      for (const peer of entry.peers.keys()) send(peer, message);
    });
    entry.awareness = awareness;
    return awareness;
  }

  function drop(entry: Entry): void {
    entry.gone = true;
    if (entry.unloadTimer) clearTimeout(entry.unloadTimer);
    entry.unloadTimer = null;
    if (entries.get(entry.id) === entry) entries.delete(entry.id);
    entry.awareness?.destroy();
    entry.doc.destroy();
  }

  /**
   * The copy may hold part of a refused update: throw it away; the other peers reconnect to a
   * fresh copy (the sender of the update is refused by its own session).
   */
  function discard(entry: Entry, reason: string, origin: unknown): void {
    logger.error({ doc: entry.id, reason }, 'discarding the in-memory copy of a document');
    const peers = [...entry.peers.keys()].filter((p) => p !== origin);
    entry.peers.clear();
    drop(entry);
    for (const p of peers) {
      try {
        p.close(1011, 'document reloaded');
      } catch {
        // already closed
      }
    }
  }

  function scheduleUnload(entry: Entry): void {
    if (entry.unloadTimer || entry.gone) return;
    entry.unloadTimer = setTimeout(() => {
      entry.unloadTimer = null;
      if (entry.refs > 0 || entry.gone) return;
      drop(entry);
      if (entry.storedUpdates >= compactOnUnload) compactor.request(entry.id);
    }, entry.lingerMs);
    entry.unloadTimer.unref?.();
  }

  /**
   * Apply stored parts. Stored updates were accepted once, so none should fail; if one does
   * (a damaged row), it is skipped and logged rather than making the document unopenable.
   */
  function applyStored(id: string, doc: Y.Doc, parts: Uint8Array[]): void {
    for (const [i, part] of parts.entries()) {
      try {
        Y.applyUpdate(doc, part);
      } catch (e) {
        logger.error({ err: e, doc: id, part: i }, 'skipping a stored update that does not apply');
      }
    }
  }

  async function catchUp(entry: Entry): Promise<void> {
    if (entry.catchingUp) {
      entry.catchUpAgain = true;
      return;
    }
    entry.catchingUp = true;
    try {
      do {
        entry.catchUpAgain = false;
        const from = entry.seq;
        const stored = await store.loadSince(entry.id, from);
        if (entry.gone) return;
        logger.trace({ doc: entry.id, from, to: stored.seq, updates: stored.updates.length }, 'caught up on stored updates');
        if (stored.snapshot || stored.updates.length > 0) {
          const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates;
          Y.transact(entry.doc, () => applyStored(entry.id, entry.doc, parts), DB_ORIGIN);
        }
        entry.seq = Math.max(entry.seq, stored.seq);
      } while (entry.catchUpAgain);
    } catch (e) {
      logger.error({ err: e, doc: entry.id }, 'catching up on stored updates failed');
    } finally {
      entry.catchingUp = false;
    }
  }

  async function load(id: string, lingerMs: number, slot: LoadSlot): Promise<Entry> {
    // A copy unloaded (or discarded) a moment ago may still have updates on their way to the store.
    await writer.flushDoc(id);
    const started = performance.now();
    const stored = await store.loadSince(id, 0);
    const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates;
    for (const l of slot.onStored) {
      try {
        l(parts);
      } catch (e) {
        logger.error({ err: e, doc: id }, 'onStored listener failed');
      }
    }
    const doc = new Y.Doc({ guid: id });
    Y.transact(doc, () => applyStored(id, doc, parts), DB_ORIGIN);
    const entry: Entry = {
      id,
      doc,
      awareness: null,
      peers: new Map(),
      refs: 0,
      seq: stored.seq,
      lingerMs,
      unloadTimer: null,
      capture: null,
      catchingUp: false,
      catchUpAgain: false,
      gone: false,
      storedUpdates: stored.updates.length,
    };
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (entry.capture) entry.capture.push([update, origin]);
      else relayUpdate(entry, update, origin);
    });
    entries.set(id, entry);
    logger.debug({ doc: id, ms: Math.round(performance.now() - started), updates: stored.updates.length }, 'document loaded');
    if (slot.notifiedSeq > entry.seq) void catchUp(entry);
    return entry;
  }

  function handleFor(entry: Entry): DocHandle {
    let released = false;
    return {
      id: entry.id,
      doc: entry.doc,
      get awareness() {
        return awarenessOf(entry);
      },
      get seq() {
        return entry.seq;
      },
      applyUpdate(update, origin, o = {}): ApplyResult {
        if (entry.gone) return { ok: false, error: 'document was reloaded', refusal: 'malformed' };
        if (!o.decoded) {
          const v = validateUpdate(update);
          if (!v.ok) return { ok: false, error: v.error, refusal: 'malformed' };
        }
        const editor = o.editor;
        if (editor) {
          const unavailable = busy();
          if (unavailable) return { ok: false, error: unavailable, refusal: 'unavailable' };
          const over = overLimits(entry.doc, update, editor);
          if (over) return { ok: false, error: over, refusal: 'limit' };
        }
        entry.capture = [];
        const actor = o.actor ?? SYSTEM_ACTOR;
        let correction: Correction | null = null;
        try {
          if (editor) {
            // The device's update and any correction of it are one transaction: one update out.
            Y.transact(
              entry.doc,
              (tr) => {
                Y.applyUpdate(entry.doc, update, origin);
                correction = enforceRules(tr, entry.doc, editor);
                const summary = correction?.summary;
                if (correction && summary)
                  addTimelineEntry(entry.doc, {
                    kind: 'system',
                    text: summary,
                    author: GUARD_AUTHOR,
                    data: { correction: { ...correction, summary, by: editor.name } },
                  });
              },
              origin,
            );
          } else Y.applyUpdate(entry.doc, update, origin);
        } catch (e) {
          entry.capture = null;
          discard(entry, `update rejected while integrating: ${e instanceof Error ? e.message : String(e)}`, origin);
          return { ok: false, error: 'update rejected by Yjs', refusal: 'malformed' };
        }
        const captured = entry.capture;
        entry.capture = null;
        // Structs waiting for updates this copy has not seen are not in the emitted update; they
        // would integrate later inside a catch-up from the store, which is never stored again.
        // So while anything is pending, store the update as received: it holds them.
        const pending = entry.doc.store.pendingStructs !== null || entry.doc.store.pendingDs !== null;
        const corrected = correction as Correction | null;
        if (corrected) {
          // Relayed to every peer, the sender included, so that it converges on the correction.
          logger.warn(
            { doc: entry.id, actor, correction: corrected },
            corrected.summary ? 'corrected an update that erased protected content' : 'stamped the sender as the author of new entries written in another name',
          );
          for (const [u] of captured) relayUpdate(entry, u, CORRECTION_ORIGIN, true, actor);
        } else for (const [u, o2] of captured) relayUpdate(entry, u, o2, !pending, actor);
        if (pending) writer.enqueue(entry.id, update, actor);
        return { ok: true, value: { corrected: corrected?.summary ?? null } };
      },
      applyAwarenessUpdate(update, peer) {
        if (entry.gone) return;
        awarenessProtocol.applyAwarenessUpdate(awarenessOf(entry), update, peer);
      },
      addPeer(peer) {
        if (!entry.gone) entry.peers.set(peer, new Set());
      },
      removePeer(peer) {
        const controlled = entry.peers.get(peer);
        entry.peers.delete(peer);
        if (controlled && controlled.size > 0 && entry.awareness && !entry.gone) {
          awarenessProtocol.removeAwarenessStates(entry.awareness, [...controlled], null);
        }
      },
      release() {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs <= 0 && !entry.gone) scheduleUnload(entry);
      },
    };
  }

  async function open(id: string, o: OpenOptions = {}): Promise<DocHandle> {
    if (closed) throw new Error('document manager is closed');
    const lingerMs = o.lingerMs ?? defaultLinger;
    let entry = entries.get(id);
    if (!entry) {
      let slot = loading.get(id);
      if (!slot) {
        const s: LoadSlot = { notifiedSeq: 0, onStored: [], promise: Promise.resolve(null as unknown as Entry) };
        s.promise = load(id, lingerMs, s).finally(() => loading.delete(id));
        loading.set(id, s);
        slot = s;
      }
      if (o.onStored) slot.onStored.push(o.onStored);
      entry = await slot.promise;
      // Discarded or unloaded while we waited: start over.
      if (entry.gone) return open(id, o);
    }
    entry.refs++;
    entry.lingerMs = Math.max(entry.lingerMs, lingerMs);
    if (entry.unloadTimer) {
      clearTimeout(entry.unloadTimer);
      entry.unloadTimer = null;
    }
    return handleFor(entry);
  }

  function onRemoteAwareness(id: string, update: Uint8Array): void {
    const entry = entries.get(id);
    if (!entry || entry.gone || entry.peers.size === 0) return;
    if (!validateAwarenessUpdate(update).ok) return;
    awarenessProtocol.applyAwarenessUpdate(awarenessOf(entry), update, REMOTE_AWARENESS);
  }

  function onAnnounce(change: DocumentChange): void {
    const entry = entries.get(change.id);
    if (entry) {
      if (change.seq > entry.seq) void catchUp(entry);
      return;
    }
    const slot = loading.get(change.id);
    if (slot) slot.notifiedSeq = Math.max(slot.notifiedSeq, change.seq);
  }

  return {
    open,
    async withDoc(id, fn, o) {
      const handle = await open(id, o);
      try {
        return await fn(handle.doc, handle);
      } finally {
        handle.release();
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush: () => writer.flush(),
    flushDoc: (id) => writer.flushDoc(id),
    busy,
    compact: (id) => compactor.run(id),
    isLoaded: (id) => entries.has(id),
    stats() {
      let peers = 0;
      for (const e of entries.values()) peers += e.peers.size;
      const w = writer.stats();
      return {
        loaded: entries.size,
        loading: loading.size,
        peers,
        pendingDocs: writer.pendingDocs(),
        writerCounters: Math.max(w.counters, w.waiting),
        compactionsQueued: compactor.queued(),
      };
    },
    async start() {
      subscription = await store.subscribe({
        onAppend: onAnnounce,
        onAwareness: onRemoteAwareness,
        onResync: () => {
          for (const e of entries.values()) void catchUp(e);
        },
      });
    },
    async close() {
      closed = true;
      await subscription?.close().catch((e: unknown) => logger.warn({ err: e }, 'unlisten failed'));
      await writer.close();
      await compactor.close();
      for (const e of [...entries.values()]) drop(e);
    },
  };
}

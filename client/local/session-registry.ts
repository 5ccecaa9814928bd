/**
 * The documents on screen: one DocSession (and so one websocket) per incident however many views
 * show it, reference-counted, kept for a short linger after the last view leaves so a quick
 * return does not reconnect. Only these documents have sockets.
 */
import type * as Y from 'yjs';
import type { DocSession } from './doc-session.ts';

export interface SessionHandle {
  session: DocSession;
  /** Call once when the view leaves the screen. */
  release(): void;
}

export interface SessionRegistry {
  /**
   * The session for `id`, opening it with `open` when none is held. Concurrent calls share
   * one session. Rejects with what `open` rejected with.
   */
  acquire(id: string, open: () => Promise<DocSession>): Promise<SessionHandle>;
  /** The live Y.Doc of an open session, else null. */
  liveDoc(id: string): Y.Doc | null;
  /** Sessions open now. */
  sessions(): DocSession[];
  closeAll(): Promise<void>;
}

interface Held {
  refs: number;
  ready: Promise<DocSession>;
  session: DocSession | null;
  lingerTimer: ReturnType<typeof setTimeout> | null;
  unsubscribe: (() => void) | null;
}

export interface RegistryDeps {
  lingerMs: number;
  /** A session became ready; the returned function runs when it closes. */
  onOpened(session: DocSession): () => void;
  onClosed(): void;
  onError(error: unknown): void;
}

export function createSessionRegistry(deps: RegistryDeps): SessionRegistry {
  const held = new Map<string, Held>();

  const close = (id: string, h: Held): Promise<void> => {
    if (held.get(id) === h) held.delete(id);
    if (h.lingerTimer) clearTimeout(h.lingerTimer);
    h.unsubscribe?.();
    return h.ready
      .then((s) => s.close())
      .catch(deps.onError)
      .finally(deps.onClosed);
  };

  return {
    async acquire(id, open) {
      let h = held.get(id);
      if (!h) {
        // Registered before the first await, so concurrent opens share one session.
        const created: Held = { refs: 0, ready: open(), session: null, lingerTimer: null, unsubscribe: null };
        held.set(id, created);
        created.ready.then(
          (s) => {
            created.session = s;
            created.unsubscribe = deps.onOpened(s);
          },
          () => {
            if (held.get(id) === created) held.delete(id);
          },
        );
        h = created;
      }
      const entry = h;
      entry.refs++;
      if (entry.lingerTimer) clearTimeout(entry.lingerTimer);
      entry.lingerTimer = null;
      let session: DocSession;
      try {
        session = await entry.ready;
      } catch (e) {
        entry.refs--;
        throw e;
      }
      let released = false;
      return {
        session,
        release() {
          if (released) return;
          released = true;
          entry.refs--;
          if (entry.refs > 0) return;
          entry.lingerTimer = setTimeout(() => {
            if (entry.refs === 0) void close(id, entry);
          }, deps.lingerMs);
        },
      };
    },
    liveDoc: (id) => held.get(id)?.session?.doc ?? null,
    sessions: () => [...held.values()].flatMap((h) => (h.session ? [h.session] : [])),
    async closeAll() {
      await Promise.all([...held.entries()].map(([id, h]) => close(id, h)));
    },
  };
}

/**
 * Presence belongs to the socket that sent it, under the identity authenticated on it. Each
 * awareness update from a socket is rewritten before the document manager applies and relays it:
 *
 *  - entries of client ids this socket does not own are dropped: an id belongs to the first socket
 *    that used it (on this document, in this process) until that socket closes; an id with a live
 *    state from elsewhere (another process's peer) is not free either. A socket of the same identity
 *    may take an id over (a reconnect while the old socket is not yet known to be dead). So no
 *    socket can change or remove another's presence. (y-websocket clients echo every state they
 *    receive; those echoes were no-ops, and are now dropped here.)
 *  - each remaining state's `user` is set by the server: `{ id, name }` of the socket's principal,
 *    keeping only the client's colours when they are plain `#rrggbb(aa)` (the UI derives them from
 *    the user id anyway). A state that is not an object (or null, "left") is dropped.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Awareness } from 'y-protocols/awareness';
import type { AuditActor } from '../audit/audit-types.ts';

/** Client ids one socket may hold at once (a y-websocket client uses one). */
const MAX_AWARENESS_CLIENTS_PER_SOCKET = 4;

/** One socket as an owner of presence entries. */
export interface PresenceOwner {
  readonly actor: AuditActor;
}

export interface AwarenessGuard {
  /**
   * The part of `update` (a validated awareness update from `owner`'s socket) that it may apply,
   * with `user` set to its identity; null when nothing is left.
   */
  rewrite(docId: string, awareness: Awareness, owner: PresenceOwner, update: Uint8Array): Uint8Array | null;
  /** The socket closed: its ids are free again (the document manager removes their states). */
  release(docId: string, owner: PresenceOwner): void;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;
const COLOR_LIGHT = /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const actorKey = (a: AuditActor): string => `${a.kind}:${a.id ?? ''}`;

/** The state as relayed: `user` from the identity; null (the client left) stays null. */
function withUser(json: string, actor: AuditActor): string | undefined {
  const state: unknown = JSON.parse(json);
  if (state === null) return 'null';
  if (!isRecord(state)) return undefined;
  // The in-process system socket (tests) has no person to name.
  if (actor.kind === 'system') return json;
  const claimed = isRecord(state['user']) ? state['user'] : {};
  const user: Record<string, string | null> = { id: actor.id, name: actor.name };
  if (typeof claimed['color'] === 'string' && COLOR.test(claimed['color'])) user['color'] = claimed['color'];
  if (typeof claimed['colorLight'] === 'string' && COLOR_LIGHT.test(claimed['colorLight'])) user['colorLight'] = claimed['colorLight'];
  return JSON.stringify({ ...state, user });
}

export function createAwarenessGuard(): AwarenessGuard {
  /** Per document: client id → the socket that owns it. */
  const owners = new Map<string, Map<number, PresenceOwner>>();
  /** Per socket: the ids it owns (a socket is on one document). */
  const owned = new Map<PresenceOwner, Set<number>>();

  function mayUse(docId: string, awareness: Awareness, owner: PresenceOwner, clientId: number): boolean {
    let doc = owners.get(docId);
    const current = doc?.get(clientId);
    if (current === owner) return true;
    if (clientId === awareness.clientID) return false;
    const mine = owned.get(owner) ?? new Set<number>();
    if (mine.size >= MAX_AWARENESS_CLIENTS_PER_SOCKET) return false;
    const key = actorKey(owner.actor);
    if (current) {
      if (actorKey(current.actor) !== key) return false;
      owned.get(current)?.delete(clientId);
    } else {
      // A live state nobody here owns came from another process's peer: only its own identity may take it.
      const held: unknown = awareness.getStates().get(clientId);
      if (held !== undefined) {
        const user = isRecord(held) && isRecord(held['user']) ? held['user'] : null;
        if (owner.actor.id === null || user?.['id'] !== owner.actor.id) return false;
      }
    }
    if (!doc) owners.set(docId, (doc = new Map()));
    doc.set(clientId, owner);
    mine.add(clientId);
    owned.set(owner, mine);
    return true;
  }

  return {
    rewrite(docId, awareness, owner, update) {
      const d = decoding.createDecoder(update);
      const n = decoding.readVarUint(d);
      const kept: [number, number, string][] = [];
      for (let i = 0; i < n; i++) {
        const clientId = decoding.readVarUint(d);
        const clock = decoding.readVarUint(d);
        const json = decoding.readVarString(d);
        if (!mayUse(docId, awareness, owner, clientId)) continue;
        const state = withUser(json, owner.actor);
        if (state !== undefined) kept.push([clientId, clock, state]);
      }
      if (kept.length === 0) return null;
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, kept.length);
      for (const [clientId, clock, state] of kept) {
        encoding.writeVarUint(e, clientId);
        encoding.writeVarUint(e, clock);
        encoding.writeVarString(e, state);
      }
      return encoding.toUint8Array(e);
    },
    release(docId, owner) {
      const mine = owned.get(owner);
      owned.delete(owner);
      const doc = owners.get(docId);
      if (!mine || !doc) return;
      for (const id of mine) if (doc.get(id) === owner) doc.delete(id);
      if (doc.size === 0) owners.delete(docId);
    },
  };
}

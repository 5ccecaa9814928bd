/**
 * The y-websocket wire protocol (y-protocols sync + awareness), parsed strictly: every message
 * is decoded completely, and every Yjs update inside it is decoded structurally, before anything
 * touches a document. What does not decode is refused as a value, never thrown to the caller.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as authProtocol from 'y-protocols/auth';
import { err, ok, type Result } from '../../shared/result.ts';

export const MESSAGE = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

export type ClientMessage =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'sync-step-2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Decode a Yjs (v1) update completely without applying it: structs, their contents and the
 * delete set. Y.decodeUpdate throws on anything truncated, unknown content refs or bad JSON.
 */
export function validateUpdate(update: Uint8Array): Result<void, string> {
  try {
    const { ds } = Y.decodeUpdate(update);
    // Yjs never writes an empty delete range, and applying one for an unknown client throws
    // half-way ("Unexpected case" while re-encoding it as pending): refuse it up front.
    for (const ranges of ds.clients.values()) {
      for (const r of ranges) if (r.len <= 0) return err('update has an empty delete range');
    }
    return ok(undefined);
  } catch (e) {
    return err(`update does not decode: ${messageOf(e)}`);
  }
}

export function validateStateVector(sv: Uint8Array): Result<void, string> {
  try {
    Y.decodeStateVector(sv);
    return ok(undefined);
  } catch (e) {
    return err(`state vector does not decode: ${messageOf(e)}`);
  }
}

/** An awareness update: [n, (clientID, clock, JSON state)*n]. */
export function validateAwarenessUpdate(update: Uint8Array): Result<void, string> {
  try {
    const d = decoding.createDecoder(update);
    const n = decoding.readVarUint(d);
    for (let i = 0; i < n; i++) {
      decoding.readVarUint(d);
      decoding.readVarUint(d);
      JSON.parse(decoding.readVarString(d));
    }
    return ok(undefined);
  } catch (e) {
    return err(`awareness update does not decode: ${messageOf(e)}`);
  }
}

/** Parse one message from a client; any decoding problem is an error value. */
export function parseMessage(data: Uint8Array): Result<ClientMessage, string> {
  try {
    const d = decoding.createDecoder(data);
    const kind = decoding.readVarUint(d);
    switch (kind) {
      case MESSAGE.sync: {
        const step = decoding.readVarUint(d);
        const payload = decoding.readVarUint8Array(d);
        if (step === syncProtocol.messageYjsSyncStep1) {
          const v = validateStateVector(payload);
          return v.ok ? ok({ type: 'sync-step-1', stateVector: payload }) : v;
        }
        if (step === syncProtocol.messageYjsSyncStep2 || step === syncProtocol.messageYjsUpdate) {
          const v = validateUpdate(payload);
          if (!v.ok) return v;
          return ok({ type: step === syncProtocol.messageYjsSyncStep2 ? 'sync-step-2' : 'update', update: payload });
        }
        return err(`unknown sync message type ${step}`);
      }
      case MESSAGE.awareness: {
        const payload = decoding.readVarUint8Array(d);
        const v = validateAwarenessUpdate(payload);
        return v.ok ? ok({ type: 'awareness', update: payload }) : v;
      }
      case MESSAGE.queryAwareness:
        return ok({ type: 'query-awareness' });
      default:
        return err(`unknown message type ${kind}`);
    }
  } catch (e) {
    return err(`message does not decode: ${messageOf(e)}`);
  }
}

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE.sync);
  syncProtocol.writeSyncStep1(e, doc);
  return encoding.toUint8Array(e);
}

/** Sync step 2: what the peer lacks given its state vector. */
export function encodeSyncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE.sync);
  syncProtocol.writeSyncStep2(e, doc, stateVector);
  return encoding.toUint8Array(e);
}

/**
 * Sync step 2 built from stored parts instead of a document: each part as an update message
 * (trimmed to what the peer lacks), the last one as the step 2 that marks the peer synced.
 */
export function encodeStoredStep2(parts: Uint8Array[], stateVector: Uint8Array): Uint8Array[] {
  const fresh = Y.decodeStateVector(stateVector).size === 0;
  const updates = parts.map((p) => (fresh ? p : Y.diffUpdate(p, stateVector)));
  if (updates.length === 0) updates.push(Y.encodeStateAsUpdate(new Y.Doc()));
  return updates.map((u, i) => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MESSAGE.sync);
    encoding.writeVarUint(e, i === updates.length - 1 ? syncProtocol.messageYjsSyncStep2 : syncProtocol.messageYjsUpdate);
    encoding.writeVarUint8Array(e, u);
    return encoding.toUint8Array(e);
  });
}

export function encodeUpdateMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE.sync);
  syncProtocol.writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

/**
 * y-protocols' auth message "permission denied" with a reason: y-websocket clients report it
 * (its `permissionDeniedHandler`) and stay connected. Sent when an update was corrected.
 */
export function encodePermissionDenied(reason: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE.auth);
  authProtocol.writePermissionDenied(e, reason);
  return encoding.toUint8Array(e);
}

export function encodeAwarenessMessage(awarenessUpdate: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE.awareness);
  encoding.writeVarUint8Array(e, awarenessUpdate);
  return encoding.toUint8Array(e);
}

/**
 * An awareness message with no states: harmless to every client, and it resets y-websocket's
 * "no message for 30 s → reconnect" watchdog when nothing else has been sent.
 */
export const KEEPALIVE_MESSAGE: Uint8Array = encodeAwarenessMessage(new Uint8Array([0]));

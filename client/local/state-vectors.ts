/**
 * Pure helpers over Yjs state vectors: what the server lacks of a local document, and the
 * base64 framing the batch sync endpoint uses. No I/O; the sync engine and its tests use them.
 */
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';

/** The state vector of an empty document (what a device sends for a document it lacks). */
export const EMPTY_STATE_VECTOR: Uint8Array = Y.encodeStateVector(new Y.Doc());

export const toB64 = (bytes: Uint8Array): string => toBase64(bytes);
export const fromB64 = (text: string): Uint8Array => fromBase64(text);

/**
 * How many Yjs items (clock units) the local state holds that the server's state vector does
 * not. Zero means every insertion made here has reached the server. Deletions do not advance a
 * state vector, which is why the engine also tracks local edits (see sync-state.ts).
 */
export function itemsAhead(localSV: Uint8Array, serverSV: Uint8Array | null): number {
  const local = Y.decodeStateVector(localSV);
  const server = serverSV ? Y.decodeStateVector(serverSV) : new Map<number, number>();
  let ahead = 0;
  for (const [client, clock] of local) {
    const known = server.get(client) ?? 0;
    if (clock > known) ahead += clock - known;
  }
  return ahead;
}

/** True when the server's state vector covers every item of the local one. */
export function serverCovers(serverSV: Uint8Array | null, localSV: Uint8Array): boolean {
  return itemsAhead(localSV, serverSV) === 0;
}

/** True for a state vector of a document with no content. */
export function isEmptyStateVector(sv: Uint8Array): boolean {
  return Y.decodeStateVector(sv).size === 0;
}

/**
 * What to send the server for one document: the document's state vector and, when the device
 * has something the server may lack, the update against the last server state vector seen.
 * The update always carries the whole delete set, so deletions reach the server too.
 */
export function outgoing(doc: Y.Doc, serverSV: Uint8Array | null, dirty: boolean): { stateVector: Uint8Array; update: Uint8Array | null } {
  const stateVector = Y.encodeStateVector(doc);
  if (isEmptyStateVector(stateVector)) return { stateVector, update: null };
  const needed = dirty || serverSV === null || !serverCovers(serverSV, stateVector);
  return { stateVector, update: needed ? Y.encodeStateAsUpdate(doc, serverSV ?? undefined) : null };
}

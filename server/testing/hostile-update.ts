/**
 * Test fixture: a Yjs update that passes Y.decodeUpdate but makes Y.applyUpdate throw half-way
 * (found by fuzzing); validateUpdate must refuse it before it reaches a document.
 */
import * as encoding from 'lib0/encoding';

/**
 * Decodes cleanly, but Yjs throws ("Unexpected case") while applying it: a delete-set range of
 * length 0 for a client the document has never seen cannot be re-encoded as pending.
 */
export const HOSTILE_UPDATE = ((): Uint8Array => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0); // no structs
  encoding.writeVarUint(e, 1); // delete set: one client
  encoding.writeVarUint(e, 957); // an unknown client
  encoding.writeVarUint(e, 1); // one range
  encoding.writeVarUint(e, 2); // clock
  encoding.writeVarUint(e, 0); // length 0
  return encoding.toUint8Array(e);
})();

/**
 * A number that grows with every change to a document: the sum of its state vector (inserted
 * structs) plus the length of its delete set (deletions). A state that contains another has a
 * version at least as large, so a projection of an older state never overwrites a newer one.
 */
import * as Y from 'yjs';

export function documentVersion(doc: Y.Doc): number {
  const snap = Y.snapshot(doc);
  let v = 0;
  for (const clock of snap.sv.values()) v += clock;
  for (const items of snap.ds.clients.values()) for (const d of items) v += d.len;
  return v;
}

// @vitest-environment node
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { isEmptyStateVector, itemsAhead, outgoing, serverCovers, EMPTY_STATE_VECTOR, fromB64, toB64 } from './state-vectors.ts';

function textDoc(text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return doc;
}

describe('pending changes against a server state vector', () => {
  it('counts every local item when the server has never seen the document', () => {
    const doc = textDoc('hello');
    expect(itemsAhead(Y.encodeStateVector(doc), null)).toBe(5);
    expect(serverCovers(null, Y.encodeStateVector(doc))).toBe(false);
  });

  it('counts only what was written after the server state vector', () => {
    const doc = textDoc('hello');
    const serverSV = Y.encodeStateVector(doc);
    doc.getText('t').insert(5, ' world');
    expect(itemsAhead(Y.encodeStateVector(doc), serverSV)).toBe(6);
  });

  it('counts nothing when the server is ahead or equal', () => {
    const local = textDoc('a');
    const server = new Y.Doc();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(local));
    server.getText('t').insert(1, 'bcd');
    expect(itemsAhead(Y.encodeStateVector(local), Y.encodeStateVector(server))).toBe(0);
    expect(serverCovers(Y.encodeStateVector(server), Y.encodeStateVector(local))).toBe(true);
  });

  it('adds up several writers', () => {
    const a = textDoc('ab');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    b.getText('t').insert(0, 'xyz');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    expect(itemsAhead(Y.encodeStateVector(a), EMPTY_STATE_VECTOR)).toBe(5);
  });
});

describe('outgoing update', () => {
  it('sends nothing for an empty document', () => {
    const out = outgoing(new Y.Doc(), null, true);
    expect(out.update).toBeNull();
    expect(isEmptyStateVector(out.stateVector)).toBe(true);
  });

  it('sends the whole state when the server state is unknown', () => {
    const doc = textDoc('abc');
    const out = outgoing(doc, null, false);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, out.update ?? new Uint8Array());
    expect(copy.getText('t').toString()).toBe('abc');
  });

  it('sends nothing for a clean document the server covers', () => {
    const doc = textDoc('abc');
    expect(outgoing(doc, Y.encodeStateVector(doc), false).update).toBeNull();
  });

  it('sends a delete-only edit when the document is dirty, though the state vector did not move', () => {
    const doc = textDoc('abc');
    const server = new Y.Doc();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
    const serverSV = Y.encodeStateVector(server);
    doc.getText('t').delete(0, 1);
    expect(itemsAhead(Y.encodeStateVector(doc), serverSV)).toBe(0);
    const out = outgoing(doc, serverSV, true);
    Y.applyUpdate(server, out.update ?? new Uint8Array());
    expect(server.getText('t').toString()).toBe('bc');
  });

  it('round-trips base64', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    expect(fromB64(toB64(bytes))).toEqual(bytes);
  });
});

// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { SentpilotDb } from './db.ts';
import {
  completeExchange,
  docRetryDelay,
  FORBIDDEN_RETRY_MS,
  pendingTotals,
  recordDocError,
  recordLocalEdits,
  recordServerChanges,
  readChangesCursor,
  documentsToExchange,
} from './sync-state.ts';
import { makeDb } from './testing/fixtures.ts';

const dbs: SentpilotDb[] = [];
const db = (): SentpilotDb => {
  const d = makeDb();
  dbs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

const docWith = (text: string): Y.Doc => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return doc;
};

describe('sync state', () => {
  it('counts local edits until the server confirms them', async () => {
    const d = db();
    await recordLocalEdits(d, 'a', 2);
    await recordLocalEdits(d, 'a', 1);
    await recordLocalEdits(d, 'b', 1);
    expect(await pendingTotals(d)).toEqual({ changes: 4, documents: 2, errors: 0 });

    const doc = docWith('x');
    const sv = Y.encodeStateVector(doc);
    await completeExchange(d, { id: 'a', editSeq: 3, pending: 3 }, sv, sv, new Date().toISOString());
    expect(await pendingTotals(d)).toEqual({ changes: 1, documents: 1, errors: 0 });
  });

  it('keeps edits made during the exchange pending', async () => {
    const d = db();
    await recordLocalEdits(d, 'a', 2);
    await recordLocalEdits(d, 'a', 3); // arrives while the request for the first two is in flight
    const sv = Y.encodeStateVector(docWith('x'));
    const next = await completeExchange(d, { id: 'a', editSeq: 2, pending: 2 }, sv, sv, new Date().toISOString());
    expect(next).toMatchObject({ dirty: 1, pending: 3 });
  });

  it('stays dirty when the server state vector does not cover the local one', async () => {
    const d = db();
    const local = docWith('abc');
    const serverSV = Y.encodeStateVector(new Y.Doc());
    const next = await completeExchange(d, { id: 'a', editSeq: 0, pending: 0 }, serverSV, Y.encodeStateVector(local), new Date().toISOString());
    expect(next).toMatchObject({ dirty: 1, pending: 1 });
  });

  it('does not retry a document refused for lack of access until much later', async () => {
    const d = db();
    await recordLocalEdits(d, 'a', 1);
    await recordDocError(d, 'a', 'forbidden', 'no access', 1_000);
    expect((await d.syncState.get('a'))?.retryAt).toBe(1_000 + FORBIDDEN_RETRY_MS);
  });

  it('backs a refused document off exponentially and clears on success', async () => {
    const d = db();
    await recordLocalEdits(d, 'a', 1);
    await recordDocError(d, 'a', 'invalid_update', 'rejected', 1_000);
    await recordDocError(d, 'a', 'invalid_update', 'rejected', 2_000);
    const row = await d.syncState.get('a');
    expect(row?.failures).toBe(2);
    expect(row?.retryAt).toBe(2_000 + docRetryDelay(2));
    expect(docRetryDelay(2)).toBe(2 * docRetryDelay(1));
    expect(docRetryDelay(50)).toBe(600_000);
    expect(await pendingTotals(d)).toMatchObject({ errors: 1 });
  });

  it('stores the change cursor with the documents to pull', async () => {
    const d = db();
    await recordServerChanges(d, ['x', 'y'], 42);
    expect(await readChangesCursor(d)).toBe(42);
    expect((await documentsToExchange(d, Date.now())).sort()).toEqual(['x', 'y']);
  });
});

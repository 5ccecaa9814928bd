// @vitest-environment node
/**
 * A socket that was opening with the old session's cookie when the user logged in again is
 * refused (4403) after the login. That refusal belongs to the old session: the socket goes again
 * and the user is not sent back to the login dialog. A refusal of a socket opened after the login
 * still signs out.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SYNC_CLOSE } from '../../shared/api.ts';
import type { SentpilotDb } from './db.ts';
import { createLocalEngine, type LocalEngine } from './local-engine.ts';
import { createSyncApi } from './sync-api.ts';
import { createFakeSyncServer } from './testing/fake-sync-server.ts';
import { makeDb } from './testing/fixtures.ts';
import { makeUser } from './user-identity.ts';

/** Enough of a browser WebSocket for y-websocket: the test decides when it opens or closes. */
class FakeSocket {
  static made: FakeSocket[] = [];
  binaryType = 'arraybuffer';
  onopen: (() => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(): void {}
  close(): void {}
  refuse(close: { code: number; reason: string }): void {
    this.onclose?.(close);
  }
}

const engines: { engine: LocalEngine; db: SentpilotDb }[] = [];
afterEach(async () => {
  for (const { engine, db } of engines.splice(0)) {
    await engine.stop();
    db.close();
  }
  FakeSocket.made = [];
});

const waitFor = <T>(fn: () => T | Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 5_000, interval: 20 });

async function openOne() {
  const db = makeDb();
  const server = createFakeSyncServer();
  const engine = createLocalEngine({
    db,
    api: createSyncApi({ fetch: server.fetch }),
    wsUrl: 'ws://sentpilot.test/sync',
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    events: new EventTarget(),
    isOnline: () => true,
    user: makeUser('Alice'),
    lingerMs: 0,
  });
  engines.push({ engine, db });
  const id = await engine.createIncident({ title: 'Password spraying', createdBy: 'Alice' });
  const opened = await engine.open(id);
  if (opened.kind !== 'open') throw new Error(opened.kind);
  await waitFor(() => expect(FakeSocket.made).toHaveLength(1));
  return { engine, session: opened.session };
}

describe('SY4: socket refusals around a login', () => {
  it('reconnects a socket that was opened with the old session and refused after the login', async () => {
    const { engine, session } = await openOne();
    const [stale] = FakeSocket.made;
    engine.signedIn(makeUser('Alice'));
    stale!.refuse(SYNC_CLOSE.unauthenticated);

    expect(FakeSocket.made).toHaveLength(2);
    expect(session.live.get().kind).toBe('connecting');
    expect(engine.connection.get().status).not.toBe('signed-out');
  });

  it('signs out when a socket opened after the login is refused for lack of a session', async () => {
    const { engine, session } = await openOne();
    engine.signedIn(makeUser('Alice'));
    FakeSocket.made[0]!.refuse(SYNC_CLOSE.unauthenticated);
    FakeSocket.made[1]!.refuse(SYNC_CLOSE.unauthenticated);

    expect(session.live.get()).toMatchObject({ kind: 'refused', code: SYNC_CLOSE.unauthenticated.code });
    expect(engine.connection.get().status).toBe('signed-out');
    expect(FakeSocket.made).toHaveLength(2);
  });

  it('still reports a refusal that is not about the session at once', async () => {
    const { engine, session } = await openOne();
    engine.signedIn(makeUser('Alice'));
    FakeSocket.made[0]!.refuse(SYNC_CLOSE.forbidden);
    expect(session.live.get()).toMatchObject({ kind: 'refused', code: SYNC_CLOSE.forbidden.code });
    expect(FakeSocket.made).toHaveLength(1);
  });
});

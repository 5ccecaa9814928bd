// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { DocSession } from './doc-session.ts';
import { createObservable } from './observable.ts';
import { createSessionRegistry, type SessionRegistry } from './session-registry.ts';

function fakeSession(id: string): DocSession & { closed: number } {
  const s = {
    id,
    doc: new Y.Doc({ guid: id }),
    awareness: {} as DocSession['awareness'],
    live: createObservable({ kind: 'off' } as const),
    closed: 0,
    setUser: () => undefined,
    reconnect: () => undefined,
    flush: async () => undefined,
    close: async () => {
      s.closed++;
    },
  };
  return s;
}

let registry: SessionRegistry;
let opened: number;
beforeEach(() => {
  vi.useFakeTimers();
  opened = 0;
  registry = createSessionRegistry({ lingerMs: 1_000, onOpened: () => () => undefined, onClosed: () => undefined, onError: () => undefined });
});
afterEach(() => vi.useRealTimers());

const open = (id: string) => async () => {
  opened++;
  return fakeSession(id);
};

describe('session registry', () => {
  it('shares one session between concurrent views and closes it after the last leaves and the linger', async () => {
    const [a, b] = await Promise.all([registry.acquire('x', open('x')), registry.acquire('x', open('x'))]);
    expect(opened).toBe(1);
    expect(a.session).toBe(b.session);
    a.release();
    b.release();
    b.release(); // twice is harmless
    expect(registry.liveDoc('x')).toBe(a.session.doc);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((a.session as ReturnType<typeof fakeSession>).closed).toBe(1);
    expect(registry.liveDoc('x')).toBeNull();
  });

  it('reuses the session when a view comes back within the linger', async () => {
    const first = await registry.acquire('x', open('x'));
    first.release();
    await vi.advanceTimersByTimeAsync(500);
    const again = await registry.acquire('x', open('x'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(again.session).toBe(first.session);
    expect(opened).toBe(1);
    expect((first.session as ReturnType<typeof fakeSession>).closed).toBe(0);
  });

  it('forgets a session that failed to open, so the next view tries again', async () => {
    await expect(registry.acquire('x', async () => Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    const ok = await registry.acquire('x', open('x'));
    expect(ok.session.id).toBe('x');
  });

  it('closes everything on closeAll', async () => {
    const a = await registry.acquire('a', open('a'));
    const b = await registry.acquire('b', open('b'));
    await registry.closeAll();
    expect([(a.session as ReturnType<typeof fakeSession>).closed, (b.session as ReturnType<typeof fakeSession>).closed]).toEqual([1, 1]);
    expect(registry.sessions()).toEqual([]);
  });
});

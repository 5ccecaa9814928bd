// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { cleanRemoteUser, createPresence, presentUsers } from './presence.ts';
import { colorFor, initials, loadUser, makeUser, saveUser, USER_STORAGE_KEY } from './user-identity.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

describe('presence', () => {
  it('keeps only plain colours and short text names from remote peers', () => {
    expect(cleanRemoteUser({ name: 'Eve', color: 'red; background:url(https://evil.test/x)', colorLight: '#ff000033' })).toEqual({
      name: 'Eve',
      color: '#475467',
      colorLight: '#ff000033',
    });
    expect(cleanRemoteUser({ name: `a\u0000b${'x'.repeat(100)}`, color: '#00ff00' }).name).toBe(`ab${'x'.repeat(58)}`);
    expect(cleanRemoteUser('junk')).toMatchObject({ name: 'Anonymous' });
  });

  it('cleans a hostile remote state as it arrives, before other listeners see it', () => {
    const local = createPresence(new Y.Doc(), makeUser('Alice'));
    const peerDoc = new Y.Doc();
    const peer = new Awareness(peerDoc);
    peer.setLocalStateField('user', { name: 'Mallory', color: 'url(javascript:alert(1))' });
    const seen: unknown[] = [];
    local.on('change', () => seen.push(local.getStates().get(peerDoc.clientID)?.['user']));
    applyAwarenessUpdate(local, encodeAwarenessUpdate(peer, [peerDoc.clientID]), 'remote');
    expect(seen[0]).toMatchObject({ name: 'Mallory', color: '#475467' });
    expect(presentUsers(local).map((u) => [u.name, u.self])).toEqual([
      ['Alice', true],
      ['Mallory', false],
    ]);
  });
});

describe('local user', () => {
  it('asks for a usable name and remembers it', () => {
    const storage = memoryStorage();
    expect(loadUser(storage)).toBeNull();
    expect(saveUser(storage, '   ')).toMatchObject({ ok: false });
    expect(saveUser(storage, '  Dana Reyes ')).toMatchObject({ ok: true, user: { name: 'Dana Reyes' } });
    expect(loadUser(storage)?.name).toBe('Dana Reyes');
  });

  it('ignores a corrupt stored value', () => {
    const storage = memoryStorage();
    storage.setItem(USER_STORAGE_KEY, '{not json');
    expect(loadUser(storage)).toBeNull();
  });

  it('derives a stable colour and initials', () => {
    expect(colorFor('Dana')).toEqual(colorFor('Dana'));
    expect(colorFor('Dana').color).toMatch(/^#[0-9a-f]{6}$/);
    expect(initials('Dana Reyes')).toBe('DR');
    expect(initials('bob')).toBe('B');
  });
});

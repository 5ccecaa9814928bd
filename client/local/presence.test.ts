// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { cleanRemoteUser, createPresence, presentUsers } from './presence.ts';
import { colorFor, initials, localUserOf, makeUser } from './user-identity.ts';

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
  it('derives a stable colour from the user id and initials from the name', () => {
    const a = localUserOf({ id: '0190c0de-0000-7000-8000-000000000001', display_name: 'Dana Reyes' });
    const renamed = localUserOf({ id: '0190c0de-0000-7000-8000-000000000001', display_name: 'Dana R.' });
    expect(a).toMatchObject({ name: 'Dana Reyes', color: renamed.color });
    expect(colorFor('Dana')).toEqual(colorFor('Dana'));
    expect(colorFor('Dana').color).toMatch(/^#[0-9a-f]{6}$/);
    expect(initials('Dana Reyes')).toBe('DR');
    expect(initials('bob')).toBe('B');
  });
});

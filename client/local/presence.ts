/**
 * Presence over Yjs awareness: the local user's state, and a guard that cleans every remote
 * state before anything renders it. Remote states are hostile input: the cursor plugin puts a
 * peer's colour into a style attribute, so only plain #rrggbb(aa) colours and short text names
 * are kept.
 */
import { Awareness } from 'y-protocols/awareness';
import { z } from 'zod';
import type * as Y from 'yjs';
import type { LocalUser } from './user-identity.ts';

export interface PresenceUser {
  clientId: number;
  name: string;
  color: string;
  self: boolean;
}

const FALLBACK_COLOR = '#475467';

const remoteUser = z.object({
  name: z
    .string()
    .max(200)
    .transform(
      (s) =>
        s
          .replace(/[\u0000-\u001f\u007f]/g, '')
          .trim()
          .slice(0, 60) || 'Anonymous',
    )
    .catch('Anonymous'),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .catch(FALLBACK_COLOR),
  colorLight: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/)
    .catch(`${FALLBACK_COLOR}33`),
});

/** A clean copy of a remote `user` field (or a safe default when it is junk). */
export function cleanRemoteUser(user: unknown): z.infer<typeof remoteUser> {
  const parsed = remoteUser.safeParse(user);
  return parsed.success ? parsed.data : { name: 'Anonymous', color: FALLBACK_COLOR, colorLight: `${FALLBACK_COLOR}33` };
}

/**
 * An Awareness for `doc` with the local user set and every remote state cleaned as it arrives
 * (the guard runs before any later listener, such as the editor's cursor plugin).
 */
export function createPresence(doc: Y.Doc, user: LocalUser | null): Awareness {
  const awareness = new Awareness(doc);
  awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }, origin: unknown) => {
    if (origin === 'local') return;
    for (const id of [...added, ...updated]) {
      if (id === doc.clientID) continue;
      const state = awareness.states.get(id);
      if (!state) continue;
      awareness.states.set(id, { ...state, user: cleanRemoteUser(state['user']) });
    }
  });
  setPresenceUser(awareness, user);
  return awareness;
}

export function setPresenceUser(awareness: Awareness, user: LocalUser | null): void {
  awareness.setLocalStateField(
    'user',
    user
      ? { name: user.name, color: user.color, colorLight: user.colorLight }
      : { name: 'Anonymous', color: FALLBACK_COLOR, colorLight: `${FALLBACK_COLOR}33` },
  );
}

/** Who is on the document now: one entry per connected client, the local one first. */
export function presentUsers(awareness: Awareness): PresenceUser[] {
  const out: PresenceUser[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    const user = clientId === awareness.clientID ? state['user'] : cleanRemoteUser(state['user']);
    const clean = cleanRemoteUser(user);
    out.push({ clientId, name: clean.name, color: clean.color, self: clientId === awareness.clientID });
  }
  return out.sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
}

/** Who is on the incident now, from the session's awareness, as a Solid signal. */
import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import { presentUsers, type PresenceUser } from '../local/presence.ts';

export function createPresenceList(awareness: Awareness): Accessor<PresenceUser[]> {
  const [users, setUsers] = createSignal<PresenceUser[]>(presentUsers(awareness));
  const onChange = (): void => {
    setUsers(presentUsers(awareness));
  };
  awareness.on('change', onChange);
  onCleanup(() => awareness.off('change', onChange));
  return users;
}

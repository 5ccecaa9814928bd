/** Who is viewing the incident right now (awareness), as coloured initials with names. */
import { For, Show, type JSX } from 'solid-js';
import type { Awareness } from 'y-protocols/awareness';
import { initials } from '../../local/user-identity.ts';
import { createPresenceList } from '../../primitives/create-presence-list.ts';

export function PresenceBar(props: { awareness: Awareness }): JSX.Element {
  const users = createPresenceList(props.awareness);
  const others = (): number => users().filter((u) => !u.self).length;
  return (
    <div class="presence-bar" aria-label="Viewing this incident">
      <ul class="avatars">
        <For each={users()}>
          {(u) => (
            <li class="avatar" style={{ 'background-color': u.color }} title={u.self ? `${u.name} (you)` : u.name} data-testid="presence">
              <span aria-hidden="true">{initials(u.name)}</span>
              <span class="visually-hidden">{u.self ? `${u.name} (you)` : u.name}</span>
            </li>
          )}
        </For>
      </ul>
      <span class="muted presence-text">
        <Show when={others() > 0} fallback="Only you">
          {others()} other{others() === 1 ? '' : 's'} here
        </Show>
      </span>
    </div>
  );
}

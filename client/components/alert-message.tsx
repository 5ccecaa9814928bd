/**
 * An error message announced to screen readers (role="alert"), as text; nothing when there is
 * none. `field-error` styles a form's message; pages pass their own class ("warning danger").
 */
import { Show, type JSX } from 'solid-js';

export function AlertMessage(props: { message: string | null | undefined | false; class?: string }): JSX.Element {
  return (
    <Show when={props.message}>
      {(m) => (
        <p class={props.class ?? 'field-error'} role="alert">
          {m()}
        </p>
      )}
    </Show>
  );
}

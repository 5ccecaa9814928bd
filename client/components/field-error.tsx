/** A form's error message, announced to screen readers; nothing when there is none. */
import { Show, type JSX } from 'solid-js';

export function FieldError(props: { message: string | null | undefined | false }): JSX.Element {
  return (
    <Show when={props.message}>
      {(m) => (
        <p class="field-error" role="alert">
          {m()}
        </p>
      )}
    </Show>
  );
}

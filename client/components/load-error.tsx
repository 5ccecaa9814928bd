/**
 * "<What> could not be loaded: <why>" for a failed resource, shown as an alert (text only).
 */
import { Show, type JSX } from 'solid-js';

export function LoadError(props: { what: string; error: unknown; class?: string }): JSX.Element {
  const message = (): string => (props.error instanceof Error ? props.error.message : String(props.error));
  return (
    <Show when={props.error}>
      <p class={props.class ?? 'warning danger'} role="alert">
        {props.what} could not be loaded: {message()}
      </p>
    </Show>
  );
}

/**
 * A secret or link the server shows once (API token secret, invitation link): the text in a
 * read-only field, a copy button, and a reminder that it cannot be shown again.
 */
import { createSignal, Show, type JSX } from 'solid-js';

export function CopyOnce(props: { label: string; value: string; testId?: string; onDismiss: () => void }): JSX.Element {
  const [copied, setCopied] = createSignal<boolean | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="copy-once" role="status">
      <p>
        <strong>{props.label}</strong> It is shown only now: copy it before closing this box.
      </p>
      <div class="copy-once-row">
        <input type="text" readOnly value={props.value} data-testid={props.testId} aria-label={props.label} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="btn primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" class="btn" onClick={() => props.onDismiss()}>
          Done
        </button>
      </div>
      <Show when={copied() !== null}>
        <p class="muted small">{copied() ? 'Copied to the clipboard.' : 'The browser refused the clipboard; select the text and copy it.'}</p>
      </Show>
    </div>
  );
}

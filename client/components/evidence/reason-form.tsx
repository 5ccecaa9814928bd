/**
 * Asks why before a download, an export, a legal hold or a deletion (the reason goes into the
 * chain of custody). `danger` marks a submit that takes something away (a file, a hold's protection).
 */
import { createSignal, createUniqueId, Show, type JSX } from 'solid-js';

export function ReasonForm(props: {
  label: string;
  submitLabel: string;
  note?: string;
  busy?: boolean;
  danger?: boolean;
  onSubmit(reason: string): void;
  onCancel(): void;
}): JSX.Element {
  const [reason, setReason] = createSignal('');
  const [invalid, setInvalid] = createSignal(false);
  const id = createUniqueId();
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const r = reason().trim();
    if (r.length < 3) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    props.onSubmit(r);
  };
  return (
    <form class="ev-reason" onSubmit={submit} data-testid="evidence-reason-form">
      <div class="field">
        <label for={id}>{props.label}</label>
        <input id={id} type="text" maxLength={2000} value={reason()} aria-invalid={invalid()} onInput={(e) => setReason(e.currentTarget.value)} autofocus />
        <Show when={invalid()}>
          <p class="field-error" role="alert">
            Say why (at least 3 characters): it is recorded in the chain of custody.
          </p>
        </Show>
        <Show when={props.note}>
          <p class="muted small">{props.note}</p>
        </Show>
      </div>
      <div class="ev-actions">
        <button type="submit" class={props.danger ? 'btn danger' : 'btn primary'} disabled={props.busy}>
          {props.submitLabel}
        </button>
        <button type="button" class="btn" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

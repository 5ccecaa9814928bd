/** A SHA-256 shown short (the full value in the tooltip) with a copy button. */
import { createSignal, type JSX } from 'solid-js';
import { shortHash } from './evidence-rows.ts';

export function HashCopy(props: { sha256: string }): JSX.Element {
  const [copied, setCopied] = createSignal<'yes' | 'no' | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.sha256);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <span class="ev-hash">
      <code title={props.sha256} data-testid="evidence-sha256" data-sha256={props.sha256}>
        SHA-256 {shortHash(props.sha256)}
      </code>
      <button type="button" class="link-btn" onClick={() => void copy()} aria-label="Copy the full SHA-256">
        {copied() === 'yes' ? 'Copied' : copied() === 'no' ? 'Copy refused' : 'Copy'}
      </button>
    </span>
  );
}

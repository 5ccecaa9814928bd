/**
 * The header's count of approvals waiting for a decision, polled every 15 s for those who may
 * approve (nothing for the others, and nothing while the count is zero or unknown). It is
 * only the number: the header wraps it in its link to the approvals page.
 */
import { createSignal, Show, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import { createPoller } from './create-poller.ts';
import { usePlaybooks } from './playbooks-context.tsx';
import './playbooks.css';

const POLL_MS = 15_000;

export function ApprovalsBadge(): JSX.Element {
  const app = useApp();
  const pb = usePlaybooks();
  const [count, setCount] = createSignal(0);
  createPoller({
    load: async () => {
      if (!app.can('playbook:approve')) {
        setCount(0);
        return;
      }
      const res = await pb.api.approvals('pending');
      // Offline or refused: keep the last count rather than flicker.
      if (res.ok) setCount(res.value.length);
    },
    intervalMs: () => POLL_MS,
  });
  return (
    <Show when={count() > 0}>
      <span class="pb-badge" data-testid="approvals-badge" aria-label={`${count()} pending approval${count() === 1 ? '' : 's'}`}>
        {count()}
      </span>
    </Show>
  );
}

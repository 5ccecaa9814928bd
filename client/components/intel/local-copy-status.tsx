/**
 * The device's offline intel copy: its age and size, the marking every offline answer carries,
 * and a button to refresh it now. `marking` renders the warning shown above offline results.
 */
import { Show, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import { localCopyLabel } from '../../local/intel-snapshot.ts';
import { createObservableSignal } from '../../primitives/create-observable.ts';
import { useIntel } from './intel-context.tsx';

export function LocalCopyStatus(props: { marking?: boolean }): JSX.Element {
  const app = useApp();
  const intel = useIntel();
  const state = createObservableSignal(intel.snapshot.state);
  void intel.snapshot.info();
  const label = () => localCopyLabel(state().info, app.now());

  return (
    <Show
      when={props.marking}
      fallback={
        <p class="muted small" data-testid="intel-local-status">
          {label().text}{' '}
          <button type="button" class="link-btn" disabled={state().refreshing} onClick={() => void intel.snapshot.refresh()} data-testid="intel-local-refresh">
            {state().refreshing ? 'Refreshing…' : 'Refresh the local copy'}
          </button>
          <Show when={state().error}>{(e) => <span class="intel-error"> Last refresh failed: {e()}</span>}</Show>
        </p>
      }
    >
      <p class="intel-local" role="status" data-stale={label().stale ? '' : undefined} data-testid="intel-local-marking">
        <strong>Offline answer.</strong> {label().text}
      </p>
    </Show>
  );
}

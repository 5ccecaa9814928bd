/**
 * The service worker's update prompt (registerType "prompt"): when a new version has been
 * downloaded, offer to reload into it; never reload on the user's behalf mid-incident.
 */
import { createEffect, onCleanup, Show, type JSX } from 'solid-js';
import { useRegisterSW } from 'virtual:pwa-register/solid';

export function UpdatePrompt(): JSX.Element {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisteredSW(_url, registration) {
      // Look for a new version every hour in a long-running tab.
      if (registration) setInterval(() => void registration.update().catch(() => undefined), 60 * 60 * 1000);
    },
  });
  // The "ready offline" note is informative only: it goes away by itself.
  createEffect(() => {
    if (!offlineReady()) return;
    const t = setTimeout(() => setOfflineReady(false), 5_000);
    onCleanup(() => clearTimeout(t));
  });
  return (
    <div class="toasts" aria-live="polite">
      <Show when={needRefresh()}>
        <div class="toast" role="alert" data-testid="update-prompt">
          <span>A new version is available.</span>
          <button type="button" class="btn primary" onClick={() => void updateServiceWorker(true)}>
            Reload
          </button>
          <button type="button" class="btn" onClick={() => setNeedRefresh(false)}>
            Later
          </button>
        </div>
      </Show>
      <Show when={offlineReady()}>
        <div class="toast note" role="status">
          <span>Sentpilot is ready to work offline.</span>
        </div>
      </Show>
    </div>
  );
}

/**
 * Entry point of the PWA: wires the device database, the sync API and the local engine, then
 * renders the app. Everything is created here and passed down; no module holds global state.
 */
import { RouterProvider } from '@tanstack/solid-router';
import { render } from 'solid-js/web';
import { AppProvider } from './app-context.tsx';
import { openDb } from './local/db.ts';
import { createLocalEngine } from './local/local-engine.ts';
import { createSyncApi } from './local/sync-api.ts';
import { loadUser } from './local/user-identity.ts';
import { createAppRouter } from './router.tsx';
import './styles.css';

function syncUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/sync`;
}

const root = document.getElementById('app');
if (!root) throw new Error('#app is missing from index.html');

const db = openDb();
const engine = createLocalEngine({
  db,
  api: createSyncApi({ fetch: (input, init) => fetch(input, init) }),
  wsUrl: syncUrl(window.location),
  events: window,
  visibility: document,
  isOnline: () => navigator.onLine,
  user: loadUser(localStorage),
  // Background failures must not interrupt the responder; they show in the header's state.
  onError: (error) => console.error('[sentpilot] background sync error', error),
});
const router = createAppRouter();

// Unsynced work lives only in IndexedDB: ask the browser not to evict it under storage pressure.
void navigator.storage?.persist?.().catch(() => false);

db.open().then(
  () => {
    engine.start();
    render(
      () => (
        <AppProvider engine={engine} storage={localStorage}>
          <RouterProvider router={router} />
        </AppProvider>
      ),
      root,
    );
  },
  (error: unknown) => {
    render(() => <StorageUnavailable error={error} />, root);
  },
);

function StorageUnavailable(props: { error: unknown }) {
  return (
    <main class="empty-state" role="alert">
      <h1>Sentpilot cannot store data in this browser</h1>
      <p>
        Incidents are kept on this device (IndexedDB) so that they stay available offline, and this browser refused that storage. Private browsing modes often do; open
        Sentpilot in a normal window.
      </p>
      <p class="muted">{props.error instanceof Error ? props.error.message : String(props.error)}</p>
    </main>
  );
}

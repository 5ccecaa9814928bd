/**
 * Entry point of the PWA: wires the device database, the identity, the sync and admin APIs and
 * the local engine, then renders the app. Everything is created here and passed down; no module
 * holds global state. The engine and the identity tell each other when the session ends (a 401,
 * a 4403 close) and when the user is back (login): nothing local is dropped in between.
 */
import './zod-jitless.ts';
import { RouterProvider } from '@tanstack/solid-router';
import { render } from 'solid-js/web';
import { AppProvider } from './app-context.tsx';
import { openDb } from './local/db.ts';
import { createLocalEngine } from './local/local-engine.ts';
import { createAdminApi } from './local/admin-api.ts';
import { createIdentityStore } from './local/identity.ts';
import { createIncidentApi } from './local/incident-api.ts';
import { createSyncApi } from './local/sync-api.ts';
import { localUserOf } from './local/user-identity.ts';
import { createAppRouter } from './router.tsx';
import { createPlaybookServices, PlaybooksProvider } from './components/playbooks/playbooks-context.tsx';
import { createEvidenceApi } from './local/evidence-api.ts';
import { createEvidenceOutbox, tabLock } from './local/evidence-outbox.ts';
import { EvidenceProvider } from './components/evidence/evidence-context.tsx';
import { createIntelServices, IntelProvider } from './components/intel/intel-context.tsx';
import './styles.css';

function syncUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/sync`;
}

const root = document.getElementById('app');
if (!root) throw new Error('#app is missing from index.html');

const db = openDb();
const identity = createIdentityStore({ fetch: (input, init) => fetch(input, init), storage: localStorage });
const cached = identity.state.get().me;
const engine = createLocalEngine({
  db,
  api: createSyncApi({ fetch: (input, init) => fetch(input, init) }),
  wsUrl: syncUrl(window.location),
  events: window,
  visibility: document,
  isOnline: () => navigator.onLine,
  user: cached ? localUserOf(cached.user) : null,
  // Background failures must not interrupt the responder; they show in the header's state.
  onError: (error) => console.error('[sentpilot] background sync error', error),
});
const admin = createAdminApi({ fetch: (input, init) => fetch(input, init), onUnauthenticated: () => engine.markSignedOut() });
const api = createIncidentApi({ fetch: (input, init) => fetch(input, init), onUnauthenticated: () => engine.markSignedOut() });
const router = createAppRouter();
// Playbook runs requested on this device wait in the outbox until the server takes them.
const playbooks = createPlaybookServices({
  db,
  fetch: (input, init) => fetch(input, init),
  connection: engine.connection,
  userId: () => identity.state.get().me?.user.id ?? null,
  onUnauthenticated: () => engine.markSignedOut(),
  onError: (error) => console.error('[sentpilot] outbox error', error),
});
// The compact copy of high-confidence indicators, for lookups with the network gone.
const intel = createIntelServices({
  db,
  fetch: (input, init) => fetch(input, init),
  isOnline: () => navigator.onLine,
  events: window,
  onUnauthenticated: () => engine.markSignedOut(),
  onError: (error) => console.error('[sentpilot] intel copy refresh error', error),
});
// Evidence captured on this device (bytes and SHA-256 in IndexedDB) uploads itself until verified.
const evidenceApi = createEvidenceApi({ fetch: (input, init) => fetch(input, init), onUnauthenticated: () => engine.markSignedOut() });
const evidenceOutbox = createEvidenceOutbox({
  db,
  api: evidenceApi,
  connection: engine.connection,
  isOnline: () => navigator.onLine,
  persistStorage: () => navigator.storage?.persist?.() ?? Promise.resolve(false),
  exclusive: tabLock(navigator.locks),
  onError: (error) => console.error('[sentpilot] evidence upload error', error),
});

function connectIdentity(): void {
  let started = false;
  engine.connection.subscribe((c) => {
    if (c.status === 'signed-out') identity.expire();
  });
  identity.state.subscribe((s) => {
    if (s.status === 'signed-out') engine.markSignedOut();
    if (!s.me || (s.status !== 'signed-in' && s.status !== 'unverified')) return;
    const user = localUserOf(s.me.user);
    if (!started) {
      // The engine talks to the server only once someone is known (a start with an expired
      // session goes to the login page first, so its first answer is not a 401).
      started = true;
      engine.setUser(user);
      engine.start();
      void playbooks.outbox.start();
      evidenceOutbox.start();
      if (s.me.user.role !== 'guest') intel.snapshot.start();
    }
    if (s.status === 'signed-in' && engine.connection.get().status === 'signed-out') engine.signedIn(user);
    else engine.setUser(user);
  });
  // Offline at start: ask again when the network is back.
  window.addEventListener('online', () => {
    if (identity.state.get().status !== 'signed-in') void identity.check();
  });
  void identity.check();
}

// Unsynced work lives only in IndexedDB: ask the browser not to evict it under storage pressure.
void navigator.storage?.persist?.().catch(() => false);

db.open().then(
  () => {
    connectIdentity();
    render(
      () => (
        <AppProvider engine={engine} identity={identity} admin={admin} api={api}>
          <PlaybooksProvider services={playbooks}>
            <EvidenceProvider services={{ outbox: evidenceOutbox, api: evidenceApi }}>
              <IntelProvider services={intel}>
                <RouterProvider router={router} />
              </IntelProvider>
            </EvidenceProvider>
          </PlaybooksProvider>
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
        Incidents are kept on this device (IndexedDB) so that they stay available offline, and this browser refused that storage. Private browsing modes often
        do; open Sentpilot in a normal window.
      </p>
      <p class="muted">{props.error instanceof Error ? props.error.message : String(props.error)}</p>
    </main>
  );
}

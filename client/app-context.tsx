/**
 * The services the UI uses, handed down through one Solid context (created in main.tsx, so no
 * module-level state): the local engine, the identity (who is signed in, what they may do), the
 * admin API, the incident/alert API, and a coarse clock for "5 min ago".
 */
import { createComputed, createContext, createMemo, createSignal, onCleanup, useContext, type Accessor, type JSX } from 'solid-js';
import type { MeResponse } from '../shared/auth-api.ts';
import { can, type Action } from '../shared/permissions.ts';
import type { AdminApi } from './local/admin-api.ts';
import type { IncidentApi } from './local/incident-api.ts';
import { principalOf, type IdentitySnapshot, type IdentityStore } from './local/identity.ts';
import type { LocalEngine } from './local/local-engine.ts';
import { localUserOf, type LocalUser } from './local/user-identity.ts';
import { createObservableSignal } from './primitives/create-observable.ts';
import { loadDisplayZone } from './components/time-zone.ts';

export interface AppServices {
  engine: LocalEngine;
  identity: IdentityStore;
  admin: AdminApi;
  /** The incident, alert and triage API (server reads: alerts, priority queue, field definitions). */
  api: IncidentApi;
  /** The identity's state (signed in, checking, signed out …) with the last known user. */
  auth: Accessor<IdentitySnapshot>;
  /** The last known account (kept while signed out, so the screen and the author stay). */
  me: Accessor<MeResponse | null>;
  user: Accessor<LocalUser | null>;
  /** The display name used as author of edits. */
  authorName(): string;
  /** May the current user do `action` (on `incidentId`)? False when nobody is known. */
  can(action: Action, incidentId?: string): boolean;
  /** Epoch ms, refreshed every 30 s, for relative times. */
  now: Accessor<number>;
}

const AppContext = createContext<AppServices>();

export function AppProvider(props: { engine: LocalEngine; identity: IdentityStore; admin: AdminApi; api: IncidentApi; children: JSX.Element }): JSX.Element {
  const auth = createObservableSignal(props.identity.state);
  const me = createMemo(() => auth().me);
  const user = createMemo(() => {
    const m = me();
    return m ? localUserOf(m.user) : null;
  });
  const principal = createMemo(() => {
    const m = me();
    return m ? principalOf(m) : null;
  });
  // Times show in the signed-in user's chosen zone (UTC until they choose).
  createComputed(() => {
    const id = me()?.user.id;
    if (id) loadDisplayZone(id);
  });
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 30_000);
  onCleanup(() => clearInterval(tick));
  const services: AppServices = {
    engine: props.engine,
    identity: props.identity,
    admin: props.admin,
    api: props.api,
    auth,
    me,
    user,
    authorName: () => user()?.name ?? 'Anonymous',
    can(action, incidentId) {
      const p = principal();
      return p !== null && can(p, action, incidentId);
    },
    now,
  };
  return <AppContext.Provider value={services}>{props.children}</AppContext.Provider>;
}

export function useApp(): AppServices {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp() outside <AppProvider>');
  return ctx;
}

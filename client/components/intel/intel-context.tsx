/**
 * The threat-intel services the intel page, the feeds admin page and the incident panel use: the
 * typed API and the device's offline copy of high-confidence indicators. main.tsx creates them
 * once with `createIntelServices`, starts the copy's refresh when the engine starts, and hands
 * them down with `<IntelProvider>`; nothing here is module-level state.
 */
import { createContext, useContext, type JSX } from 'solid-js';
import type { SentpilotDb } from '../../local/db.ts';
import type { FetchFn } from '../../local/http-json.ts';
import { createIntelApi, type IntelApi } from '../../local/intel-api.ts';
import { createIntelSnapshot, type IntelSnapshot } from '../../local/intel-snapshot.ts';

export interface IntelServices {
  api: IntelApi;
  snapshot: IntelSnapshot;
}

export function createIntelServices(deps: {
  db: SentpilotDb;
  fetch: FetchFn;
  isOnline(): boolean;
  /** Where 'online' is announced (window): the copy refreshes when the network returns. */
  events: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  onUnauthenticated(): void;
  onError?(error: unknown): void;
}): IntelServices {
  const api = createIntelApi({ fetch: deps.fetch, onUnauthenticated: deps.onUnauthenticated });
  const snapshot = createIntelSnapshot({ db: deps.db, fetchSnapshot: api.snapshot, isOnline: deps.isOnline, events: deps.events, onError: deps.onError });
  return { api, snapshot };
}

const IntelContext = createContext<IntelServices>();

export function IntelProvider(props: { services: IntelServices; children: JSX.Element }): JSX.Element {
  return <IntelContext.Provider value={props.services}>{props.children}</IntelContext.Provider>;
}

export function useIntel(): IntelServices {
  const ctx = useContext(IntelContext);
  if (!ctx) throw new Error('useIntel() outside <IntelProvider>');
  return ctx;
}

/**
 * The services the UI uses, handed down through one Solid context (created in main.tsx, so no
 * module-level state): the local engine, the local user, and a coarse clock for "5 min ago".
 */
import { createContext, createSignal, onCleanup, useContext, type Accessor, type JSX } from 'solid-js';
import type { LocalEngine } from './local/local-engine.ts';
import { loadUser, saveUser, type LocalUser } from './local/user-identity.ts';

export interface AppServices {
  engine: LocalEngine;
  user: Accessor<LocalUser | null>;
  /** Validate, store and apply a new user name; returns the message to show when refused. */
  saveUserName(name: string): { ok: true } | { ok: false; error: string };
  /** The display name used as author of edits. */
  authorName(): string;
  /** Epoch ms, refreshed every 30 s, for relative times. */
  now: Accessor<number>;
}

const AppContext = createContext<AppServices>();

export function AppProvider(props: { engine: LocalEngine; storage: Storage; children: JSX.Element }): JSX.Element {
  const [user, setUser] = createSignal<LocalUser | null>(loadUser(props.storage));
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 30_000);
  onCleanup(() => clearInterval(tick));
  const services: AppServices = {
    engine: props.engine,
    user,
    saveUserName(name) {
      const saved = saveUser(props.storage, name);
      if (!saved.ok) return saved;
      setUser(saved.user);
      props.engine.setUser(saved.user);
      return { ok: true };
    },
    authorName: () => user()?.name ?? 'Anonymous',
    now,
  };
  return <AppContext.Provider value={services}>{props.children}</AppContext.Provider>;
}

export function useApp(): AppServices {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp() outside <AppProvider>');
  return ctx;
}

/**
 * The playbook services the panel, the approvals page and the admin page use: the typed API
 * and the device outbox that sends run requests (offline ones when the network returns).
 * main.tsx creates them once with `createPlaybookServices`, starts the outbox when the engine
 * starts, and hands them down with `<PlaybooksProvider>`; nothing here is module-level state.
 */
import { createContext, useContext, type JSX } from 'solid-js';
import { ok } from '../../../shared/result.ts';
import type { SentpilotDb } from '../../local/db.ts';
import type { ConnectionSnapshot } from '../../local/engine-types.ts';
import type { FetchFn } from '../../local/http-json.ts';
import type { ReadonlyObservable } from '../../local/observable.ts';
import { createOutbox, type Outbox } from '../../local/outbox.ts';
import { createPlaybooksApi, type PlaybooksApi } from '../../local/playbooks-api.ts';

export interface PlaybookServices {
  api: PlaybooksApi;
  outbox: Outbox;
}

export function createPlaybookServices(deps: {
  db: SentpilotDb;
  fetch: FetchFn;
  /** The local engine's connection: the outbox sends only while it is not offline or signed out. */
  connection: ReadonlyObservable<ConnectionSnapshot>;
  /** The signed-in user's id: a request is sent only under the session of the one who made it. */
  userId(): string | null;
  onUnauthenticated(): void;
  onError?(error: unknown): void;
}): PlaybookServices {
  const api = createPlaybooksApi({ fetch: deps.fetch, onUnauthenticated: deps.onUnauthenticated });
  const outbox = createOutbox({
    db: deps.db,
    connection: deps.connection,
    userId: deps.userId,
    onError: deps.onError,
    send: async (record) => {
      const res = await api.execute(record.incidentId, {
        playbookId: record.body.playbook_id,
        dryRun: record.body.dry_run,
        idempotencyKey: record.idempotencyKey,
      });
      return res.ok ? ok(res.value.id) : res;
    },
  });
  return { api, outbox };
}

const PlaybooksContext = createContext<PlaybookServices>();

export function PlaybooksProvider(props: { services: PlaybookServices; children: JSX.Element }): JSX.Element {
  return <PlaybooksContext.Provider value={props.services}>{props.children}</PlaybooksContext.Provider>;
}

export function usePlaybooks(): PlaybookServices {
  const ctx = useContext(PlaybooksContext);
  if (!ctx) throw new Error('usePlaybooks() outside <PlaybooksProvider>');
  return ctx;
}

/**
 * The pending-incident contract of the incident page's server panels (playbooks, threat intel).
 * An incident made on this device reaches the server a moment after it is created; until the
 * server has projected it, its reads answer 404 "no incident". That is not an error: the panel
 * shows "Preparing…" and asks again when the condition that makes it ready holds — the incident's
 * key arriving in the local copy (the server assigns the key in the same transaction that writes
 * the incident's row), or else every `retryMs` while the answer stays pending.
 */
import { createEffect, on, type Accessor } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import type { ApiFailure } from '../../local/http-json.ts';
import { createLiveQuery } from '../../primitives/create-live-query.ts';

/** Retry while pending: the key usually arrives within a second, so this is only the fallback. */
export const PENDING_RETRY_MS = 2_000;

/** The server does not know the incident (yet): 404 on an incident read. */
export function isIncidentPending(failure: ApiFailure): boolean {
  return failure.kind === 'http' && failure.status === 404;
}

/**
 * The incident's key in the local copy (null while the server has not seen it), and a call to
 * `onReady` each time it goes from pending to known.
 */
export function createServerReady(incidentId: Accessor<string>, onReady: () => void): { key: Accessor<string | null> } {
  const app = useApp();
  const key = createLiveQuery(incidentId, (id) => app.engine.db.incidents.get(id).then((r) => r?.key ?? null), null as string | null);
  createEffect(
    on(
      () => key.value(),
      (now, before) => {
        if (now && !before) onReady();
      },
      { defer: true },
    ),
  );
  return { key: key.value };
}

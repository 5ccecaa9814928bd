/**
 * "/incidents/$id" (loaded lazily with the editor): opens the incident's document for the
 * screen (local copy, websocket for live co-editing and presence) and renders it. An id that
 * is neither on this device nor on the server gets a clear "not found"; a document that fails
 * validation shows what it can with a warning.
 */
import { Link, useParams } from '@tanstack/solid-router';
import { createEffect, createSignal, Match, on, onCleanup, Show, Switch, type JSX } from 'solid-js';
import { useApp } from '../app-context.tsx';
import type { OpenResult } from '../local/local-engine.ts';
import type { DocSession } from '../local/doc-session.ts';
import { IncidentView } from '../components/incident/incident-view.tsx';

type LoadState = { kind: 'loading' } | Exclude<OpenResult, { kind: 'open' }> | { kind: 'open'; session: DocSession } | { kind: 'error'; message: string };

export function IncidentPage(): JSX.Element {
  const params = useParams({ from: '/incidents/$id' });
  return (
    <Show when={params().id} keyed>
      {(id) => <IncidentLoader id={id} />}
    </Show>
  );
}

function IncidentLoader(props: { id: string }): JSX.Element {
  const app = useApp();
  const [state, setState] = createSignal<LoadState>({ kind: 'loading' });
  let release: (() => void) | null = null;
  let disposed = false;
  const load = (): void => {
    setState({ kind: 'loading' });
    app.engine.open(props.id).then(
      (result) => {
        if (disposed) {
          if (result.kind === 'open') result.release();
          return;
        }
        if (result.kind === 'open') {
          release = result.release;
          setState({ kind: 'open', session: result.session });
        } else setState(result);
      },
      (e: unknown) => !disposed && setState({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
    );
  };
  load();
  // Opened while signed out: try again as soon as the user has logged in.
  createEffect(
    on(
      () => app.auth().status,
      (status) => {
        if (status === 'signed-in' && state().kind === 'signed-out') load();
      },
      { defer: true },
    ),
  );
  onCleanup(() => {
    disposed = true;
    release?.();
  });

  return (
    <Switch>
      <Match when={state().kind === 'loading'}>
        <p class="empty" role="status">
          Opening the incident…
        </p>
      </Match>
      <Match when={state().kind === 'not-found'}>
        <section class="empty-state" data-testid="incident-not-found">
          <h1>Incident not found</h1>
          <p>
            There is no incident <code>{props.id}</code> on this device or on the server. It may have been mistyped, or it was created on a device that has not
            synced yet.
          </p>
          <Link to="/" class="btn primary">
            Back to the incident list
          </Link>
        </section>
      </Match>
      <Match when={state().kind === 'unreachable'}>
        <section class="empty-state" data-testid="incident-unreachable">
          <h1>Not on this device yet</h1>
          <p>This incident has not been synced to this device, and the server cannot be reached right now. It opens as soon as the connection is back.</p>
          <RetryActions onRetry={load} />
        </section>
      </Match>
      <Match when={state().kind === 'signed-out'}>
        <section class="empty-state" data-testid="incident-signed-out">
          <h1>Log in to open this incident</h1>
          <p>This incident is not on this device yet, and the server needs you to log in again before it sends it. It opens once you are logged in.</p>
        </section>
      </Match>
      <Match
        when={(() => {
          const s = state();
          return s.kind === 'refused' && (s.code === 'forbidden' || s.code === 'not_found');
        })()}
      >
        <section class="empty-state" data-testid="no-access">
          <h1>You have no access to this incident</h1>
          <p>The server does not let your account open this incident. Ask an incident lead to invite you if you need it.</p>
          <Link to="/" class="btn">
            Back to the list
          </Link>
        </section>
      </Match>
      <Match when={state().kind === 'refused' || state().kind === 'error'}>
        <section class="empty-state" data-testid="incident-refused">
          <h1>This incident cannot be opened</h1>
          <p>
            {(() => {
              const s = state();
              return s.kind === 'refused' || s.kind === 'error' ? s.message : '';
            })()}
          </p>
          <RetryActions onRetry={load} />
        </section>
      </Match>
      <Match
        when={(() => {
          const s = state();
          return s.kind === 'open' ? s.session : null;
        })()}
      >
        {(session) => <IncidentView session={session()} />}
      </Match>
    </Switch>
  );
}

/** "Try again" and "Back to the list", under a state the user can retry. */
function RetryActions(props: { onRetry: () => void }): JSX.Element {
  return (
    <div class="row-actions">
      <button type="button" class="btn primary" onClick={() => props.onRetry()}>
        Try again
      </button>
      <Link to="/" class="btn">
        Back to the list
      </Link>
    </div>
  );
}

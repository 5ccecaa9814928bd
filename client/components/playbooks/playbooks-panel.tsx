/**
 * The incident's playbooks panel: requests of this incident still in the device outbox
 * ("Waiting for network", "Sending…", the server's refusal), the playbooks that match the
 * incident with Run and Dry run (after a confirmation naming the playbook and its gated steps),
 * and the incident's runs with each step's live state — polled every 2 s while something moves,
 * every 15 s otherwise (runs also start on events). Offline it shows what the device last saw.
 * An incident the server has not projected yet is pending, not an error: "Preparing…", asked
 * again as soon as its key arrives (create-server-ready.ts).
 */
import { createEffect, createMemo, createSignal, For, on, Show, type JSX } from 'solid-js';
import type { Run, WorkflowSummary } from '../../../shared/playbooks-api.ts';
import { ROLE_ACTIONS, type Role } from '../../../shared/permissions.ts';
import { useApp } from '../../app-context.tsx';
import { outboxEntriesOf, type OutboxRecord } from '../../local/outbox.ts';
import { createLiveQuery } from '../../primitives/create-live-query.ts';
import { createObservableSignal } from '../../primitives/create-observable.ts';
import { absoluteTime } from '../time-format.ts';
import { createPoller, type Poller } from './create-poller.ts';
import { createServerReady, isIncidentPending, PENDING_RETRY_MS } from './create-server-ready.ts';
import { loadCachedRuns, loadCachedWorkflows, saveCachedRuns, saveCachedWorkflows } from './playbooks-cache.ts';
import { usePlaybooks } from './playbooks-context.tsx';
import { KeyedFor } from '../keyed-for.tsx';
import { RunCard } from './run-card.tsx';
import { gatedStepNames, isRunActive, outboxEntryText, stepWarnings } from './run-state.ts';
import { StepWarnings } from './step-warnings.tsx';
import { AlertMessage } from '../alert-message.tsx';
import './playbooks.css';

const FAST_POLL_MS = 2_000;
const SLOW_POLL_MS = 15_000;
const SHOWN_RUNS = 10;
const WORKFLOWS_REFRESH_MS = 60_000;

type Loaded<T> = { items: T[]; at: string; live: boolean; problem: string | null };
type Confirming = { workflow: WorkflowSummary; dryRun: boolean };

export function PlaybooksPanel(props: { incidentId: string; role: Role }): JSX.Element {
  const app = useApp();
  const pb = usePlaybooks();
  const db = app.engine.db;
  const connection = createObservableSignal(app.engine.connection);
  const canRun = (): boolean => (ROLE_ACTIONS[props.role] as readonly string[]).includes('playbook:run');

  const [workflows, setWorkflows] = createSignal<Loaded<WorkflowSummary> | null>(null);
  const [runs, setRuns] = createSignal<Loaded<Run> | null>(null);
  const [confirming, setConfirming] = createSignal<Confirming | null>(null);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [showAll, setShowAll] = createSignal(false);
  /** The server does not know this incident yet (it is on its way): show "Preparing…", not its 404. */
  const [pending, setPending] = createSignal(false);
  const outbox = createLiveQuery(
    () => props.incidentId,
    (id) => outboxEntriesOf(db, id),
    [] as OutboxRecord[],
  );

  const problemOf = (e: { kind: string; message: string }): string => (e.kind === 'network' ? 'the server cannot be reached' : e.message);

  const loadWorkflows = async (id: string): Promise<void> => {
    const res = await pb.api.workflows(id);
    if (id !== props.incidentId) return;
    setPending(!res.ok && isIncidentPending(res.error));
    if (pending()) return;
    if (res.ok) {
      const value = { items: res.value.items.filter((w) => w.matches === true && w.triggers.manual), at: new Date().toISOString() };
      setWorkflows({ ...value, live: true, problem: null });
      await saveCachedWorkflows(db, id, value).catch(() => undefined);
      return;
    }
    const cached = await loadCachedWorkflows(db, id).catch(() => null);
    setWorkflows({ items: cached?.items ?? [], at: cached?.at ?? '', live: false, problem: problemOf(res.error) });
  };

  const loadRuns = async (id: string): Promise<void> => {
    const res = await pb.api.incidentRuns(id);
    if (id !== props.incidentId) return;
    if (res.ok) {
      const items = [...res.value].sort((a, b) => b.created_at.localeCompare(a.created_at));
      const at = new Date().toISOString();
      setRuns({ items, at, live: true, problem: null });
      await saveCachedRuns(db, id, { items, at }).catch(() => undefined);
      return;
    }
    const shown = runs();
    if (shown?.live) setRuns({ ...shown, live: false, problem: problemOf(res.error) });
    else {
      const cached = await loadCachedRuns(db, id).catch(() => null);
      setRuns({ items: cached?.items ?? [], at: cached?.at ?? '', live: false, problem: problemOf(res.error) });
    }
  };

  // Something is moving: a run not finished, or a request of this incident on its way.
  const busy = createMemo(
    () =>
      (runs()?.items ?? []).some(isRunActive) ||
      outbox.value().some((r) => r.state === 'sending' || (r.state === 'waiting' && connection().status !== 'offline')),
  );

  // Poll while the panel is on screen: fast while something moves, slowly otherwise.
  let poller: Poller | null = null;
  createEffect(
    on(
      () => props.incidentId,
      (id) => {
        setWorkflows(null);
        setRuns(null);
        setConfirming(null);
        setPending(false);
        let workflowsAt = 0;
        poller = createPoller({
          load: async () => {
            // Which playbooks match changes with the incident (severity, tags): re-ask now and then.
            const w = workflows();
            if (!w?.live || Date.now() - workflowsAt > WORKFLOWS_REFRESH_MS) {
              workflowsAt = Date.now();
              await loadWorkflows(id);
            }
            if (!pending()) await loadRuns(id);
          },
          intervalMs: () => (pending() ? PENDING_RETRY_MS : busy() ? FAST_POLL_MS : SLOW_POLL_MS),
        });
      },
    ),
  );
  // The server has just assigned the key, so it knows the incident now: ask at once.
  createServerReady(
    () => props.incidentId,
    () => pending() && poller?.now(),
  );
  // Something started moving (a request on its way): poll fast from now on.
  createEffect(on(busy, (b) => b && poller?.now(), { defer: true }));

  // A request the outbox just delivered: show its run at once.
  const fetchedFor = new Set<string>();
  createEffect(() => {
    const known = new Set((runs()?.items ?? []).map((r) => r.id));
    const arrived = outbox.value().filter((r) => r.state === 'done' && r.runId !== null && !known.has(r.runId) && !fetchedFor.has(r.runId));
    if (arrived.length === 0) return;
    for (const r of arrived) if (r.runId) fetchedFor.add(r.runId);
    poller?.now();
  });

  const request = async (c: Confirming): Promise<void> => {
    setConfirming(null);
    try {
      await pb.outbox.requestRun(props.incidentId, { playbook_id: c.workflow.id, dry_run: c.dryRun }, c.workflow.name);
      setActionError(null);
    } catch (e) {
      setActionError(`The request could not be stored on this device: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const cancel = async (run: Run): Promise<void> => {
    if (!confirm(`Cancel the run of "${run.playbook_name}"? Steps already done are not undone.`)) return;
    const res = await pb.api.cancelRun(run.id);
    setActionError(res.ok ? null : `The run could not be cancelled: ${res.error.message}`);
    poller?.now();
  };

  const pendingRequests = (): OutboxRecord[] => outbox.value().filter((r) => r.state !== 'done');
  const shownRuns = (): Run[] => {
    const items = runs()?.items ?? [];
    return showAll() ? items : items.slice(0, SHOWN_RUNS);
  };

  return (
    <section class="card pb-panel" aria-labelledby="pb-panel-title" data-testid="playbooks-panel">
      <div class="card-head">
        <h2 id="pb-panel-title">Playbooks</h2>
      </div>

      <Show when={pendingRequests().length > 0}>
        <ul class="pb-outbox" aria-label="Requests not on the server yet">
          <For each={pendingRequests()}>
            {(r) => (
              <li class="pb-outbox-entry" data-testid="outbox-entry" data-state={r.state}>
                <span>
                  <strong>{r.label}</strong>
                  {r.body.dry_run ? ' (dry run)' : ''}: {outboxEntryText(r, connection().status)}
                </span>
                <Show when={r.state === 'failed'}>
                  <span class="pb-actions">
                    <button type="button" class="btn" onClick={() => void pb.outbox.retry(r.id)}>
                      Retry
                    </button>
                    <button type="button" class="btn" onClick={() => void pb.outbox.remove(r.id)}>
                      Dismiss
                    </button>
                  </span>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>

      <AlertMessage message={actionError()} class="warning danger" />

      <Show
        when={workflows()}
        fallback={
          <p class="muted" role="status" data-testid="playbooks-pending">
            {pending() ? 'Preparing… this incident is on its way to the server; its playbooks show as soon as it arrives.' : 'Loading playbooks…'}
          </p>
        }
      >
        {(w) => (
          <>
            <Show when={!w().live}>
              <p class="muted small" role="status">
                {w().at ? `Playbooks as of ${absoluteTime(w().at)}` : 'The playbooks could not be loaded'} ({w().problem})
              </p>
            </Show>
            <Show
              when={w().items.length > 0}
              fallback={
                <Show when={w().live}>
                  <p class="muted">No playbook applies to this incident.</p>
                </Show>
              }
            >
              <ul class="pb-list">
                <For each={w().items}>
                  {(wf) => (
                    <li class="pb-item" data-testid="playbook-row" data-playbook={wf.id}>
                      <div class="pb-item-text">
                        <strong>{wf.name}</strong>
                        <Show when={wf.description}>
                          <span class="muted small">{wf.description}</span>
                        </Show>
                      </div>
                      <Show when={canRun()}>
                        <span class="pb-actions">
                          <button type="button" class="btn primary" data-testid="playbook-run" onClick={() => setConfirming({ workflow: wf, dryRun: false })}>
                            Run
                          </button>
                          <button type="button" class="btn" data-testid="playbook-dry-run" onClick={() => setConfirming({ workflow: wf, dryRun: true })}>
                            Dry run
                          </button>
                        </span>
                      </Show>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </>
        )}
      </Show>

      <Show when={confirming()}>
        {(c) => (
          <ConfirmRun confirming={c()} offline={connection().status === 'offline'} onConfirm={() => void request(c())} onClose={() => setConfirming(null)} />
        )}
      </Show>

      <h3 class="pb-subhead">Runs</h3>
      <Show when={runs()} fallback={<p class="muted">{pending() ? 'Preparing…' : 'Loading runs…'}</p>}>
        {(r) => (
          <>
            <Show when={!r().live}>
              <p class="muted small" role="status" data-testid="runs-stale">
                {r().at ? `As of ${absoluteTime(r().at)}` : 'The runs could not be loaded'} ({r().problem})
              </p>
            </Show>
            <Show when={r().items.length > 0} fallback={<p class="muted">No runs yet.</p>}>
              <div class="pb-runs">
                {/* By id: a poll brings new objects, and each card (its opened outputs) must stay. */}
                <KeyedFor each={shownRuns()} by={(r) => r.id}>
                  {(run) => <RunCard run={run()} now={app.now()} canCancel={canRun()} onCancel={(x) => void cancel(x)} />}
                </KeyedFor>
              </div>
              <Show when={!showAll() && r().items.length > SHOWN_RUNS}>
                <button type="button" class="btn" onClick={() => setShowAll(true)}>
                  Show all {r().items.length} runs
                </button>
              </Show>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}

function ConfirmRun(props: { confirming: Confirming; offline: boolean; onConfirm: () => void; onClose: () => void }): JSX.Element {
  const gated = (): string[] => gatedStepNames(props.confirming.workflow);
  const verb = (): string => (props.confirming.dryRun ? 'Dry run' : 'Run');
  return (
    <div class="pb-confirm" role="dialog" aria-modal="false" aria-labelledby="pb-confirm-title" data-testid="run-confirm">
      <p id="pb-confirm-title">
        <strong>
          {verb()} “{props.confirming.workflow.name}” on this incident?
        </strong>
      </p>
      <Show when={props.confirming.dryRun}>
        <p class="small">A dry run evaluates every step and shows what it would do; no action touches the outside world.</p>
      </Show>
      <Show when={gated().length > 0} fallback={<p class="small">No step waits for an approval: every step runs as soon as the steps it needs are done.</p>}>
        <p class="small">These steps wait for a lead's approval when their condition holds:</p>
        <ul class="small" data-testid="run-confirm-gated">
          <For each={gated()}>{(name) => <li>{name}</li>}</For>
        </ul>
      </Show>
      <StepWarnings
        warnings={stepWarnings(props.confirming.workflow)}
        lead="These steps cannot act as things stand (they will fail, and their fallback runs):"
      />
      <Show when={props.offline}>
        <p class="small muted">This device is offline: the request waits here and starts when the network returns.</p>
      </Show>
      <div class="pb-actions">
        <button type="button" class="btn primary" data-testid="run-confirm-go" onClick={() => props.onConfirm()}>
          {verb()}
        </button>
        <button type="button" class="btn" onClick={() => props.onClose()}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/**
 * The evidence locker of one incident: the server's items merged with this device's captures
 * (each with its state: waiting, uploading n%, stored, verified, or the refusal with retry /
 * remove), an "Add evidence" form that works offline, the legal hold and storage use, and the
 * export for legal proceedings (lead/admin, with a reason). Leads and admins place and release
 * the legal hold, each with a reason; admins delete stored items (on their rows). The server list
 * is read again when the connection comes back, when a capture of this incident is verified and
 * after each of these changes. Each stored item lists the timeline notes that link it (from the
 * incident document, so offline too).
 */
import { createEffect, createMemo, createSignal, Match, on, onCleanup, Show, Switch, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { evidenceLinkers, observeTimeline, type EvidenceLinker } from '../../../shared/incident-doc.ts';
import type { z } from 'zod';
import type { evidenceListResponse } from '../../../shared/evidence-api.ts';
import { useApp } from '../../app-context.tsx';
import { createLiveQuery } from '../../primitives/create-live-query.ts';
import { canReachServer } from '../../local/engine-types.ts';
import { createObservableSignal } from '../../primitives/create-observable.ts';
import { absoluteTime } from '../time-format.ts';
import { CaptureForm } from './capture-form.tsx';
import { useEvidence } from './evidence-context.tsx';
import { KeyedFor } from '../keyed-for.tsx';
import { EvidenceEntry } from './evidence-entry.tsx';
import { formatBytes, localRows, serverRows } from './evidence-rows.ts';
import { ReasonForm } from './reason-form.tsx';
import './evidence.css';

type EvidenceList = z.infer<typeof evidenceListResponse>;
/** The incident-wide action whose reason is being asked (one form at a time). */
type Asking = 'export' | 'hold' | 'release';

/** The timeline entries linking each item, re-read at most every 300 ms while the timeline changes. */
function createLinkers(doc: Y.Doc | undefined): () => Map<string, EvidenceLinker[]> {
  const [linkers, setLinkers] = createSignal(doc ? evidenceLinkers(doc) : new Map<string, EvidenceLinker[]>());
  if (!doc) return linkers;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stop = observeTimeline(doc, () => {
    timer ??= setTimeout(() => {
      timer = null;
      setLinkers(evidenceLinkers(doc));
    }, 300);
  });
  onCleanup(() => {
    stop();
    if (timer) clearTimeout(timer);
  });
  return linkers;
}

const NO_LINKERS: EvidenceLinker[] = [];

export function EvidencePanel(props: { incidentId: string; doc?: Y.Doc }): JSX.Element {
  const app = useApp();
  const evidence = useEvidence();
  const connection = createObservableSignal(app.engine.connection);
  const local = createLiveQuery(
    () => props.incidentId,
    (id) => evidence.outbox.list(id),
    [],
  );
  const [server, setServer] = createSignal<EvidenceList | null>(null);
  const [listError, setListError] = createSignal<string | null>(null);
  const [adding, setAdding] = createSignal(false);
  const [asking, setAsking] = createSignal<Asking | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [actionError, setActionError] = createSignal<string | null>(null);

  const load = async (id: string): Promise<void> => {
    const res = await evidence.api.list(id);
    if (id !== props.incidentId) return;
    if (res.ok) {
      setServer(res.value);
      setListError(null);
    } else setListError(res.error.kind === 'network' ? 'The server cannot be reached: showing what this device holds.' : res.error.message);
  };

  const reachable = createMemo(() => canReachServer(connection().status));
  const verifiedHere = createMemo(() => local.value().filter((r) => r.state === 'verified').length);
  createEffect(on([() => props.incidentId, reachable, verifiedHere], ([id]) => void load(id)));

  const serverItems = createMemo(() => server()?.items ?? []);
  const pendingRows = createMemo(() => localRows(serverItems(), local.value()));
  const storedRows = createMemo(() => serverRows(serverItems()));
  const linkers = createLinkers(props.doc);
  const canDownload = (): boolean => app.can('evidence:download', props.incidentId);
  const canAdd = (): boolean => app.can('incident:write', props.incidentId);
  const isLeadOrAdmin = (): boolean => {
    const role = app.me()?.user.role;
    return role === 'lead' || role === 'admin';
  };
  const canExport = isLeadOrAdmin;
  // The server also wants write access to the incident (a closed one is read-only for all).
  const canHold = (): boolean => isLeadOrAdmin() && canAdd();
  const ask = (a: Asking): void => {
    setActionError(null);
    setAsking(a);
  };

  const runExport = async (reason: string): Promise<void> => {
    setBusy(true);
    const res = await evidence.api.exportArchive(props.incidentId, reason);
    setBusy(false);
    setAsking(null);
    if (!res.ok) return void setActionError(`Export failed: ${res.error.message}`);
    const url = URL.createObjectURL(res.value);
    const a = document.createElement('a');
    a.href = url;
    a.download = `evidence-export-${props.incidentId}.zip`;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  const runHold = async (reason: string, held: boolean): Promise<void> => {
    const id = props.incidentId;
    setBusy(true);
    const res = await evidence.api.setLegalHold(id, reason, held);
    setBusy(false);
    setAsking(null);
    if (!res.ok) setActionError(`The legal hold was not ${held ? 'placed' : 'released'}: ${res.error.message}`);
    // Also after a refusal: someone else may have placed or released it meanwhile.
    await load(id);
  };

  return (
    <section class="card evidence-panel" aria-labelledby="evidence-title" data-testid="evidence-panel">
      <div class="card-head">
        <h2 id="evidence-title">Evidence</h2>
        <div class="ev-actions">
          <Show when={canAdd() && !adding()}>
            <button type="button" class="btn primary" onClick={() => setAdding(true)} data-testid="evidence-add">
              Add evidence
            </button>
          </Show>
          <Show when={canHold() && server() && asking() === null}>
            <Show
              when={server()?.legal_hold}
              fallback={
                <button type="button" class="btn" onClick={() => ask('hold')} data-testid="evidence-hold-place">
                  Place legal hold
                </button>
              }
            >
              <button type="button" class="btn" onClick={() => ask('release')} data-testid="evidence-hold-release">
                Release legal hold
              </button>
            </Show>
          </Show>
          <Show when={canExport() && asking() === null}>
            <button type="button" class="btn" onClick={() => ask('export')} disabled={!server() || server()?.items.length === 0}>
              Export
            </button>
          </Show>
        </div>
      </div>
      <Show when={server()?.legal_hold}>
        {(hold) => (
          <p class="ev-hold" role="status" data-testid="evidence-legal-hold">
            <strong>Legal hold</strong> since {absoluteTime(hold().since)} by {hold().by}: <span class="ev-wrap">{hold().reason}</span>. Nothing of this
            incident can be deleted.
          </p>
        )}
      </Show>
      <Switch>
        <Match when={asking() === 'export'}>
          <ReasonForm
            label="Why do you export the evidence of this incident?"
            submitLabel={busy() ? 'Exporting…' : 'Export archive'}
            note="One zip with the files, a manifest with their hashes, the custody log and the manifest's SHA-256."
            busy={busy()}
            onSubmit={(r) => void runExport(r)}
            onCancel={() => setAsking(null)}
          />
        </Match>
        <Match when={asking() === 'hold'}>
          <ReasonForm
            label="Why do you place this incident's evidence under legal hold?"
            submitLabel={busy() ? 'Placing…' : 'Place legal hold'}
            note="While the hold stands, no evidence of this incident can be deleted, whatever its retention. Recorded in the chain of custody."
            busy={busy()}
            onSubmit={(r) => void runHold(r, true)}
            onCancel={() => setAsking(null)}
          />
        </Match>
        <Match when={asking() === 'release'}>
          <ReasonForm
            label="Why do you release the legal hold?"
            submitLabel={busy() ? 'Releasing…' : 'Release legal hold'}
            note="Once released, an admin may delete items whose retention has ended. Recorded in the chain of custody."
            busy={busy()}
            danger
            onSubmit={(r) => void runHold(r, false)}
            onCancel={() => setAsking(null)}
          />
        </Match>
      </Switch>
      <Show when={actionError()}>
        {(m) => (
          <p class="field-error" role="alert" data-testid="evidence-action-error">
            {m()}
          </p>
        )}
      </Show>
      <Show when={adding()}>
        <CaptureForm incidentId={props.incidentId} onDone={() => setAdding(false)} />
      </Show>
      <Show when={listError()}>
        <p class="muted small" role="status">
          {listError()}
        </p>
      </Show>
      <ul class="ev-list">
        {/* By key: a reload of the list (or upload progress) updates each row in place and never
            closes a reason form someone is typing in. */}
        <KeyedFor each={pendingRows()} by={(r) => r.key}>
          {(row) => <EvidenceEntry incidentId={props.incidentId} row={row()} canDownload={canDownload()} />}
        </KeyedFor>
        <KeyedFor each={storedRows()} by={(r) => r.key}>
          {(row) => (
            <EvidenceEntry
              incidentId={props.incidentId}
              row={row()}
              linkedFrom={linkers().get(row().key) ?? NO_LINKERS}
              canDownload={canDownload()}
              onDeleted={() => void load(props.incidentId)}
            />
          )}
        </KeyedFor>
        <Show when={pendingRows().length + storedRows().length === 0}>
          <li class="muted small">{server() || listError() ? 'No evidence yet.' : 'Loading…'}</li>
        </Show>
      </ul>
      <Show when={server()?.usage}>
        {(u) => (
          <p class="muted small ev-usage">
            Storage: {formatBytes(u().incident_bytes)} of {formatBytes(u().incident_quota)} for this incident · {formatBytes(u().total_bytes)} of{' '}
            {formatBytes(u().total_quota)} overall
          </p>
        )}
      </Show>
    </section>
  );
}

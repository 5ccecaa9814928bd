/**
 * One evidence row: type, name, size, SHA-256, who collected it, when and where, its state on
 * this device or the server; the actions that fit (retry or remove a refused capture; download
 * with a reason; the custody log; for admins, delete behind a confirmation that names the file
 * and asks why). Malware samples are offered only as the zip protected with the password
 * "infected"; no content is ever rendered in the page. Every string is text, the server's
 * refusals included.
 */
import { createSignal, For, Match, Show, Switch, type JSX } from 'solid-js';
import { EVIDENCE_TYPE_LABELS } from '../../../shared/evidence-api.ts';
import type { EvidenceLinker } from '../../../shared/incident-doc.ts';
import { useApp } from '../../app-context.tsx';
import { evidenceContentUrl } from '../../local/evidence-api.ts';
import { absoluteTime, stampTime } from '../time-format.ts';
import { CustodyLog } from './custody-log.tsx';
import { useEvidence } from './evidence-context.tsx';
import { formatBytes, stateLabel, type EvidenceRow } from './evidence-rows.ts';
import { HashCopy } from './hash-copy.tsx';
import { ReasonForm } from './reason-form.tsx';

/** Start a download through a link: the server answers with an attachment, the page is left alone. */
function downloadLink(url: string, fileName = ''): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

type Panel = 'download' | 'custody' | 'delete';

function deleteNote(retentionUntil: string | null): string {
  const until = retentionUntil ? ` or before its retention ends (${absoluteTime(retentionUntil)})` : '';
  return `The file is destroyed (unless another item holds the same content); its hashes, who deleted it, when and why stay on record. Not possible under legal hold${until}.`;
}

/** Notes shown under an item before "and N more". */
const LINKERS_SHOWN = 3;

export function EvidenceEntry(props: {
  incidentId: string;
  row: EvidenceRow;
  linkedFrom?: readonly EvidenceLinker[];
  canDownload: boolean;
  onDeleted?: () => void;
}): JSX.Element {
  const app = useApp();
  const evidence = useEvidence();
  const [panel, setPanel] = createSignal<Panel | 'none'>('none');
  const [deleting, setDeleting] = createSignal(false);
  const [deleteError, setDeleteError] = createSignal<string | null>(null);
  const isMalware = (): boolean => props.row.type === 'malware_sample';
  // The server allows deletion to admins only; nobody else is offered it.
  const canDelete = (): boolean => app.me()?.user.role === 'admin';
  const toggle = (p: Panel): void => {
    setDeleteError(null);
    setPanel(panel() === p ? 'none' : p);
  };

  const download = (reason: string): void => {
    const item = props.row.item;
    if (!item) return;
    downloadLink(evidenceContentUrl(props.incidentId, item.id, reason, isMalware()), isMalware() ? `${item.file_name}.zip` : item.file_name);
    setPanel('none');
  };
  const deleteStored = async (reason: string): Promise<void> => {
    const item = props.row.item;
    if (!item) return;
    setDeleting(true);
    const res = await evidence.api.deleteItem(props.incidentId, item.id, reason);
    setDeleting(false);
    setPanel('none');
    // A refusal (legal hold, retention not over) is shown as the server words it.
    if (!res.ok) return void setDeleteError(res.error.message);
    props.onDeleted?.();
  };
  const remove = async (id: string): Promise<void> => {
    if (!confirm(`Remove "${props.row.fileName}" from this device? It has not reached the server, so it will be gone.`)) return;
    await evidence.outbox.remove(id);
  };

  return (
    <li
      class="ev-row"
      id={props.row.item ? `evidence-${props.row.item.id}` : undefined}
      tabIndex={props.row.item ? -1 : undefined}
      data-testid="evidence-row"
      data-state={props.row.state}
      data-name={props.row.fileName}
    >
      <div class="ev-main">
        <div class="ev-title">
          <span class="badge ev-type" data-type={props.row.type}>
            {EVIDENCE_TYPE_LABELS[props.row.type]}
          </span>
          <strong class="ev-name">{props.row.fileName}</strong>
          <span class="muted small">{formatBytes(props.row.size)}</span>
          <span class="badge ev-state" data-state={props.row.state} data-testid="evidence-state">
            {stateLabel(props.row)}
          </span>
        </div>
        <Show when={props.row.state === 'capturing' || props.row.state === 'uploading'}>
          <progress class="ev-progress" max={100} value={props.row.percent} aria-label={stateLabel(props.row)} />
        </Show>
        <Show when={props.row.description}>
          <p class="ev-desc ev-wrap">{props.row.description}</p>
        </Show>
        <p class="muted small ev-meta">
          Collected {props.row.collectedBy ? `by ${props.row.collectedBy} ` : ''}
          {absoluteTime(props.row.collectedAt)}
          {props.row.collectedWhere ? ` · ${props.row.collectedWhere}` : ''}
          {props.row.sourceHost ? ` · host ${props.row.sourceHost}` : ''}
        </p>
        <Show when={(props.linkedFrom?.length ?? 0) > 0}>
          <div class="ev-linked small" data-testid="evidence-linked-from">
            <span class="muted">Linked from the timeline:</span>
            <ul>
              <For each={props.linkedFrom?.slice(0, LINKERS_SHOWN)}>
                {(l) => (
                  <li class="ev-wrap">
                    <time dateTime={l.at} title={absoluteTime(l.at)}>
                      {stampTime(l.at, app.now())}
                    </time>{' '}
                    {l.excerpt || '(no text)'}
                  </li>
                )}
              </For>
            </ul>
            <Show when={(props.linkedFrom?.length ?? 0) > LINKERS_SHOWN}>
              <span class="muted">and {(props.linkedFrom?.length ?? 0) - LINKERS_SHOWN} more</span>
            </Show>
          </div>
        </Show>
        <Show when={props.row.tags.length > 0}>
          <p class="ev-tags">
            <For each={props.row.tags}>{(t) => <span class="tag">{t}</span>}</For>
          </p>
        </Show>
        <Show when={props.row.sha256}>{(sha) => <HashCopy sha256={sha()} />}</Show>
        <Show when={props.row.error}>
          {(e) => (
            <p
              class={props.row.state === 'failed' ? 'field-error' : 'muted small'}
              role={props.row.state === 'failed' ? 'alert' : undefined}
              data-testid="evidence-error"
            >
              {props.row.state === 'failed' ? e().message : `Last attempt: ${e().message} — will retry.`}
            </p>
          )}
        </Show>
      </div>
      <div class="ev-actions">
        <Switch>
          <Match when={props.row.state === 'failed' && props.row.localId}>
            {(id) => (
              <>
                <Show when={props.row.sha256}>
                  <button type="button" class="btn" onClick={() => void evidence.outbox.retry(id())}>
                    Retry
                  </button>
                </Show>
                <button type="button" class="btn danger" onClick={() => void remove(id())}>
                  Remove
                </button>
              </>
            )}
          </Match>
          <Match when={props.row.item}>
            <Show when={props.canDownload}>
              <button type="button" class="btn" aria-expanded={panel() === 'download'} onClick={() => toggle('download')} data-testid="evidence-download">
                {isMalware() ? 'Download zip' : 'Download'}
              </button>
            </Show>
            <button type="button" class="btn" aria-expanded={panel() === 'custody'} onClick={() => toggle('custody')}>
              Custody log
            </button>
            <Show when={canDelete()}>
              <button type="button" class="btn danger" aria-expanded={panel() === 'delete'} onClick={() => toggle('delete')} data-testid="evidence-delete">
                Delete
              </button>
            </Show>
          </Match>
        </Switch>
      </div>
      <Show when={props.row.item}>
        {(item) => (
          <Switch>
            <Match when={panel() === 'download'}>
              <ReasonForm
                label="Why do you download it?"
                submitLabel={isMalware() ? 'Download zip' : 'Download'}
                note={
                  isMalware() ? 'Malware sample: only as a zip protected with the password "infected". Open it only in an analysis environment.' : undefined
                }
                onSubmit={download}
                onCancel={() => setPanel('none')}
              />
            </Match>
            <Match when={panel() === 'custody'}>
              <CustodyLog incidentId={props.incidentId} evidenceId={item().id} />
            </Match>
            <Match when={panel() === 'delete'}>
              <ReasonForm
                label={`Delete "${item().file_name}" for good? Say why.`}
                submitLabel={deleting() ? 'Deleting…' : 'Delete evidence'}
                note={deleteNote(item().retention_until)}
                busy={deleting()}
                danger
                onSubmit={(r) => void deleteStored(r)}
                onCancel={() => setPanel('none')}
              />
            </Match>
          </Switch>
        )}
      </Show>
      <Show when={deleteError()}>
        {(m) => (
          <p class="field-error ev-span" role="alert" data-testid="evidence-delete-error">
            Not deleted: {m()}
          </p>
        )}
      </Show>
    </li>
  );
}

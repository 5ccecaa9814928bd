/**
 * Related incidents: link another incident by its key (IR-2026-0042) or id, list the links with
 * their key and title from this device's index, and unlink. The link is written into both
 * documents (each opened locally, so it works offline and syncs later).
 */
import { Link } from '@tanstack/solid-router';
import { createSignal, For, Show, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { setRelated } from '../../../shared/incident-doc.ts';
import { isUuid } from '../../../shared/ids.ts';
import { useApp } from '../../app-context.tsx';
import type { IncidentRecord } from '../../local/db.ts';
import { createLiveQuery } from '../../primitives/create-live-query.ts';
import { StatusBadge } from '../badges.tsx';
import { AlertMessage } from '../alert-message.tsx';

export function RelatedPanel(props: { doc: Y.Doc; incidentId: string; related: string[] }): JSX.Element {
  const app = useApp();
  const [draft, setDraft] = createSignal('');
  const [message, setMessage] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const rows = createLiveQuery(
    () => [...props.related],
    async (ids) => {
      const found = await app.engine.db.incidents.bulkGet(ids);
      return ids.map((id, i) => ({ id, row: found[i] ?? null }));
    },
    [] as { id: string; row: IncidentRecord | null }[],
  );

  /** Write the link into the other incident's document too (opened on this device). */
  const linkOther = async (otherId: string, linked: boolean): Promise<string | null> => {
    const opened = await app.engine.open(otherId);
    if (opened.kind !== 'open')
      return opened.kind === 'not-found' ? 'That incident does not exist.' : 'That incident is not on this device and the server cannot send it now.';
    try {
      const res = setRelated(opened.session.doc, props.incidentId, linked);
      // Record the edit for the sync and the list index now, not after the session's pause.
      await opened.session.flush();
      return res.ok ? null : res.error;
    } finally {
      opened.release();
    }
  };

  const resolve = async (input: string): Promise<string | null> => {
    if (isUuid(input)) return input.toLowerCase();
    const row = await app.engine.db.incidents.where('key').equals(input.toUpperCase()).first();
    return row?.id ?? null;
  };

  const link = async (): Promise<void> => {
    const input = draft().trim();
    if (!input) return;
    setBusy(true);
    setMessage(null);
    try {
      const otherId = await resolve(input);
      if (!otherId) {
        setMessage(`No incident ${input} on this device.`);
        return;
      }
      const res = setRelated(props.doc, otherId, true);
      if (!res.ok) {
        setMessage(res.error);
        return;
      }
      const other = await linkOther(otherId, true);
      if (other) {
        setRelated(props.doc, otherId, false);
        setMessage(other);
        return;
      }
      setDraft('');
    } finally {
      setBusy(false);
    }
  };

  const unlink = async (otherId: string): Promise<void> => {
    setBusy(true);
    try {
      setRelated(props.doc, otherId, false);
      const other = await linkOther(otherId, false);
      setMessage(other ? `Unlinked here; the other incident still lists this one: ${other}` : null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="related-title" aria-busy={busy()} data-testid="related-panel">
      <h2 id="related-title">Related incidents</h2>
      <Show when={props.related.length === 0}>
        <p class="muted small">No related incidents.</p>
      </Show>
      <ul class="related-list">
        <For each={rows.value()}>
          {(r) => (
            <li data-testid="related-item">
              <Link to="/incidents/$id" params={{ id: r.id }}>
                {r.row?.key ?? r.id.slice(0, 8)}
              </Link>{' '}
              <span class="related-title">{r.row?.title ?? 'not on this device yet'}</span>{' '}
              <Show when={r.row}>{(row) => <StatusBadge status={row().status} />}</Show>
              <button type="button" class="link-btn" onClick={() => void unlink(r.id)} aria-label={`Unlink ${r.row?.key ?? r.id}`} data-testid="related-unlink">
                Unlink
              </button>
            </li>
          )}
        </For>
      </ul>
      <div class="chip-add">
        <label class="visually-hidden" for="related-input">
          Key or id of an incident to link
        </label>
        <input
          id="related-input"
          type="text"
          maxLength={60}
          placeholder="IR-2026-0042 or id"
          value={draft()}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => e.key === 'Enter' && void link()}
          data-testid="related-input"
        />
        <button type="button" class="btn" disabled={busy()} onClick={() => void link()} data-testid="related-link">
          Link
        </button>
      </div>
      <AlertMessage message={message()} />
    </section>
  );
}

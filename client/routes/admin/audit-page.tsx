/**
 * "/audit" (audit:read): the audit log, newest first, filtered by incident, actor and time, with
 * older entries on demand, and "Verify chain", which has the server recompute the SHA-256 chain
 * and shows either that it is intact or the first broken entry.
 */
import { createSignal, For, Show, type JSX } from 'solid-js';
import { z } from 'zod';
import type { AuditEntry } from '../../../shared/auth-api.ts';
import { useApp } from '../../app-context.tsx';
import { absoluteTime, fromLocalInput } from '../../components/time-format.ts';
import type { AuditFilter } from '../../local/admin-api.ts';
import { AlertMessage } from '../../components/alert-message.tsx';

type Verify = { ok: true; checked: number } | { ok: false; checked: number; seq: number; reason: string } | { error: string };

export function AuditPage(): JSX.Element {
  const app = useApp();
  const [incident, setIncident] = createSignal('');
  const [actor, setActor] = createSignal('');
  const [from, setFrom] = createSignal('');
  const [to, setTo] = createSignal('');
  const [items, setItems] = createSignal<AuditEntry[]>([]);
  const [next, setNext] = createSignal<number | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [verify, setVerify] = createSignal<Verify | null>(null);

  const filter = (): AuditFilter | string => {
    const id = incident().trim();
    if (id && !z.uuid().safeParse(id).success) return 'The incident filter takes an incident id (a UUID, as in its address).';
    const f: AuditFilter = { limit: 100 };
    if (id) f.incident_id = id.toLowerCase();
    if (actor().trim()) f.actor = actor().trim();
    const fromIso = fromLocalInput(from());
    const toIso = fromLocalInput(to());
    if (fromIso) f.from = fromIso;
    if (toIso) f.to = toIso;
    return f;
  };
  const load = async (more: boolean): Promise<void> => {
    const f = filter();
    if (typeof f === 'string') {
      setError(f);
      return;
    }
    const before = next();
    if (more && before !== null) f.before = before;
    setLoading(true);
    const res = await app.admin.audit(f);
    setLoading(false);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    setItems((prev) => (more ? [...prev, ...res.value.items] : res.value.items));
    setNext(res.value.next_before);
  };
  const runVerify = async (): Promise<void> => {
    setVerify(null);
    const res = await app.admin.verifyAudit();
    if (!res.ok) setVerify({ error: res.error.message });
    else if (res.value.ok) setVerify({ ok: true, checked: res.value.checked });
    else setVerify({ ok: false, checked: res.value.checked, seq: res.value.first_broken.seq, reason: res.value.first_broken.reason });
  };
  void load(false);

  return (
    <section class="admin-page" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="card admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          void load(false);
        }}
        aria-label="Filter the audit log"
      >
        <div class="form-field">
          <label for="audit-incident">Incident id</label>
          <input id="audit-incident" type="text" value={incident()} onInput={(e) => setIncident(e.currentTarget.value)} data-testid="audit-incident" />
        </div>
        <div class="form-field">
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" type="text" maxLength={200} value={actor()} onInput={(e) => setActor(e.currentTarget.value)} data-testid="audit-actor" />
        </div>
        <div class="form-field">
          <label for="audit-from">From</label>
          <input id="audit-from" type="datetime-local" step="1" value={from()} onInput={(e) => setFrom(e.currentTarget.value)} />
        </div>
        <div class="form-field">
          <label for="audit-to">To</label>
          <input id="audit-to" type="datetime-local" step="1" value={to()} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn primary" disabled={loading()}>
          Apply filters
        </button>
        <button type="button" class="btn" onClick={() => void runVerify()} data-testid="audit-verify">
          Verify chain
        </button>
      </form>
      <Show when={verify()}>
        {(v) => (
          <p role="status" data-testid="audit-verify-result">
            {(() => {
              const r = v();
              if ('error' in r) return <span class="verify-broken">The chain could not be verified: {r.error}</span>;
              if (r.ok) return <span class="verify-ok">Chain intact: {r.checked} entries verified.</span>;
              return (
                <span class="verify-broken">
                  Chain broken at entry #{r.seq}: {r.reason} ({r.checked} entries checked).
                </span>
              );
            })()}
          </p>
        )}
      </Show>
      <AlertMessage message={error()} class="warning danger" />
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Incident</th>
              <th>Hash</th>
            </tr>
          </thead>
          <tbody>
            <For
              each={items()}
              fallback={
                <tr>
                  <td colSpan={7} class="muted">
                    {loading() ? 'Loading…' : 'No entries match.'}
                  </td>
                </tr>
              }
            >
              {(e) => (
                <tr data-testid="audit-row">
                  <td>{e.seq}</td>
                  <td>{absoluteTime(e.at)}</td>
                  <td>
                    {e.actor_name} <span class="muted small">({e.actor_kind})</span>
                  </td>
                  <td>{e.action}</td>
                  <td>
                    {e.target_type}
                    <Show when={e.target_id}>{(t) => <span class="mono"> {t()}</span>}</Show>
                  </td>
                  <td class="mono">{e.incident_id ?? ''}</td>
                  <td class="mono" title={`previous ${e.prev_hash}`}>
                    {e.hash.slice(0, 12)}…
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={next() !== null}>
        <button type="button" class="btn" onClick={() => void load(true)} disabled={loading()}>
          Load older entries
        </button>
      </Show>
    </section>
  );
}

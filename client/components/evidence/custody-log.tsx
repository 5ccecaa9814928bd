/**
 * The chain of custody of one item (GET …/custody): whether the hash chain verifies (or the
 * problem the server found) and every entry: when, what, who, from where, why. Text only. A
 * button has the server hash the stored file again and say whether it still matches.
 */
import { createMemo, createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { absoluteTime } from '../time-format.ts';
import { LoadError } from '../load-error.tsx';
import { useEvidence } from './evidence-context.tsx';

export function CustodyLog(props: { incidentId: string; evidenceId: string }): JSX.Element {
  const evidence = useEvidence();
  const [log] = createResource(
    () => ({ incident: props.incidentId, evidence: props.evidenceId }),
    async (k) => {
      const res = await evidence.api.custody(k.incident, k.evidence);
      if (!res.ok) throw new Error(res.error.message);
      return res.value;
    },
  );
  const [check, setCheck] = createSignal<{ kind: 'idle' | 'busy' } | { kind: 'done'; ok: boolean; text: string }>({ kind: 'idle' });
  const result = createMemo(() => {
    const c = check();
    return c.kind === 'done' ? c : null;
  });
  const verifyStored = async (): Promise<void> => {
    setCheck({ kind: 'busy' });
    const res = await evidence.api.verifyStored(props.incidentId, props.evidenceId);
    if (!res.ok) setCheck({ kind: 'done', ok: false, text: `The check could not run: ${res.error.message}` });
    else if (res.value.verified) setCheck({ kind: 'done', ok: true, text: 'The stored file still matches its SHA-256.' });
    else setCheck({ kind: 'done', ok: false, text: `The stored file does not match: ${res.value.problem ?? 'unknown problem'}` });
  };
  return (
    <div class="ev-custody" data-testid="evidence-custody">
      <div class="ev-actions">
        <button type="button" class="btn" disabled={check().kind === 'busy'} onClick={() => void verifyStored()} data-testid="evidence-verify-stored">
          {check().kind === 'busy' ? 'Checking the stored file…' : 'Check the stored file'}
        </button>
        <Show when={result()}>
          {(c) => (
            <span class={c().ok ? 'ev-chain ok' : 'ev-chain broken'} role="status" data-testid="evidence-verify-result">
              {c().text}
            </span>
          )}
        </Show>
      </div>
      <LoadError what="The custody log" error={log.error} class="field-error" />
      <Show
        when={!log.error && log()}
        fallback={
          <Show when={log.loading}>
            <p class="muted small">Loading the custody log…</p>
          </Show>
        }
      >
        {(l) => (
          <>
            <p class={l().verified ? 'ev-chain ok' : 'ev-chain broken'} role="status" data-testid="evidence-chain">
              {l().verified ? 'Chain verified' : `Chain broken: ${l().problem ?? 'the custody log does not verify'}`}
            </p>
            <table class="ev-custody-table">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">From</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                <For each={l().items}>
                  {(e) => (
                    <tr>
                      <td>{e.seq}</td>
                      <td>{absoluteTime(e.at)}</td>
                      <td>{e.action}</td>
                      <td>{e.actor}</td>
                      <td>{e.from ?? '—'}</td>
                      <td class="ev-wrap">{e.reason || '—'}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </>
        )}
      </Show>
    </div>
  );
}

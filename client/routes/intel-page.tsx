/**
 * "/intel": threat-intel lookup and search. Paste one or many values (up to 10,000, one per line,
 * defanged or not) and see which match: online the server answers with every matching indicator
 * and its sources; offline (or when the server cannot be reached) the device's local copy answers,
 * clearly marked with its age and "high-confidence indicators only". Below: indicator search with
 * filters, and an indicator's detail beside it.
 */
import { createSignal, Show, type JSX } from 'solid-js';
import { IndicatorDetail } from '../components/intel/indicator-detail.tsx';
import { IndicatorSearch } from '../components/intel/indicator-search.tsx';
import { useIntel } from '../components/intel/intel-context.tsx';
import { LocalCopyStatus } from '../components/intel/local-copy-status.tsx';
import { LookupResults } from '../components/intel/lookup-results.tsx';
import { parseLookupInput, rowsFromLocal, rowsFromServer, type LookupRow } from '../components/intel/lookup-rows.ts';
import { AlertMessage } from '../components/alert-message.tsx';
import '../components/intel/intel.css';

interface Answer {
  rows: LookupRow[];
  /** True when the device's copy answered. */
  local: boolean;
}

export function IntelPage(): JSX.Element {
  const intel = useIntel();
  const [text, setText] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [answer, setAnswer] = createSignal<Answer | null>(null);
  const [openId, setOpenId] = createSignal<number | null>(null);

  const lookupLocal = async (values: string[]): Promise<void> => {
    setAnswer({ rows: rowsFromLocal(await intel.snapshot.lookup(values)), local: true });
  };

  const checkLocal = async (): Promise<void> => {
    const parsed = parseLookupInput(text());
    setError(parsed.ok ? null : parsed.message);
    if (parsed.ok) await lookupLocal(parsed.values);
  };

  const lookup = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const parsed = parseLookupInput(text());
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    setError(null);
    setBusy(true);
    try {
      if (!navigator.onLine) return await lookupLocal(parsed.values);
      const res = await intel.api.bulkLookup(parsed.values);
      if (res.ok) setAnswer({ rows: rowsFromServer(res.value), local: false });
      else if (res.error.kind === 'network' || (res.error.kind === 'http' && res.error.status >= 500)) await lookupLocal(parsed.values);
      else setError(res.error.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="admin-page" aria-labelledby="intel-title">
      <h1 id="intel-title">Threat intel</h1>
      <div class="intel-grid">
        <div class="intel-column">
          <form class="card intel-lookup" onSubmit={(e) => void lookup(e)} aria-label="Look up indicators">
            <label for="intel-values">IPs, ranges, domains, URLs or hashes — one per line, defanged or not (up to 10,000)</label>
            <textarea
              id="intel-values"
              spellcheck={false}
              autocomplete="off"
              value={text()}
              onInput={(e) => setText(e.currentTarget.value)}
              data-testid="intel-values"
            />
            <div class="form-actions">
              <button type="submit" class="btn primary" disabled={busy()} data-testid="intel-lookup">
                {busy() ? 'Looking up…' : 'Look up'}
              </button>
              <button type="button" class="btn" disabled={busy()} onClick={() => void checkLocal()}>
                Check the local copy
              </button>
            </div>
            <LocalCopyStatus />
          </form>
          <AlertMessage message={error()} class="warning danger" />
          <Show when={answer()}>
            {(a) => (
              <div class="card">
                <Show when={a().local}>
                  <LocalCopyStatus marking />
                </Show>
                <LookupResults rows={a().rows} onOpen={setOpenId} />
              </div>
            )}
          </Show>
          <IndicatorSearch onOpen={setOpenId} />
        </div>
        <Show when={openId()}>{(id) => <IndicatorDetail id={id()} onClose={() => setOpenId(null)} />}</Show>
      </div>
    </section>
  );
}

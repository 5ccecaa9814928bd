/**
 * The allow-list (GET/PUT /intel/allowlist): the organisation's own domains, addresses and
 * ranges, never turned into block entries (subdomains and addresses inside ranges included, as
 * the server applies it). One value per line; values that are not a domain, IP or range are
 * refused here with their line before anything is sent.
 */
import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { detect } from '../../../shared/indicator-normalize.ts';
import { LoadError } from '../load-error.tsx';
import { useIntel } from './intel-context.tsx';
import { AlertMessage } from '../alert-message.tsx';

const ALLOWED = new Set(['domain', 'ipv4', 'ipv6', 'cidr']);

export function AllowlistEditor(): JSX.Element {
  const intel = useIntel();
  const [text, setText] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [loaded] = createResource(async () => {
    const res = await intel.api.allowlist();
    if (!res.ok) throw new Error(res.error.message);
    setText(res.value.join('\n'));
    return true;
  });

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    setNotice(null);
    const lines = text()
      .split(/\r?\n/)
      .map((l) => l.trim());
    const values: string[] = [];
    for (const [i, line] of lines.entries()) {
      if (line === '' || line.startsWith('#')) continue;
      const d = detect(line);
      if (!d || !ALLOWED.has(d.type)) {
        setError(`Line ${i + 1}: "${line.slice(0, 80)}" is not a domain, IP address or range.`);
        return;
      }
      values.push(d.value);
    }
    const unique = [...new Set(values)];
    if (unique.length > 10_000) {
      setError('At most 10,000 values.');
      return;
    }
    const res = await intel.api.putAllowlist(unique);
    setError(res.ok ? null : res.error.message);
    if (res.ok) {
      setText(unique.join('\n'));
      setNotice(`Allow-list saved (${unique.length} values).`);
    }
  };

  return (
    <form class="card intel-lookup" onSubmit={(e) => void save(e)} aria-labelledby="allowlist-title" data-testid="allowlist">
      <h2 id="allowlist-title">Allow-list</h2>
      <label for="allowlist-values" class="muted small">
        Own domains (subdomains included), IP addresses and CIDR ranges — one per line. They are never put on a blocklist.
      </label>
      <LoadError what="The allow-list" error={loaded.error} />
      <textarea id="allowlist-values" spellcheck={false} value={text()} onInput={(e) => setText(e.currentTarget.value)} data-testid="allowlist-values" />
      <AlertMessage message={error()} class="warning danger" />
      <Show when={notice()}>
        {(m) => (
          <p class="muted" role="status">
            {m()}
          </p>
        )}
      </Show>
      <button type="submit" class="btn primary" disabled={!loaded()} data-testid="allowlist-save">
        Save allow-list
      </button>
    </form>
  );
}

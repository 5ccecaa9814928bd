/**
 * "/admin/tokens" (token:manage): API tokens for integrations. Create one with a role and
 * optional scopes (the secret is shown once, then only its prefix); list them with role, scopes,
 * last use; revoke.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { ApiToken } from '../../../shared/auth-api.ts';
import { ACTIONS, ROLE_LABELS, ROLES, type Action, type Role } from '../../../shared/permissions.ts';
import { useApp } from '../../app-context.tsx';
import { LoadError } from '../../components/load-error.tsx';
import { CopyOnce } from '../../components/copy-once.tsx';
import { absoluteTime } from '../../components/time-format.ts';
import { AlertMessage } from '../../components/alert-message.tsx';

type TokenRole = Exclude<Role, 'guest'>;
const TOKEN_ROLES = ROLES.filter((r): r is TokenRole => r !== 'guest');
const isTokenRole = (v: string): v is TokenRole => (TOKEN_ROLES as readonly string[]).includes(v);

export function TokensPage(): JSX.Element {
  const app = useApp();
  const [tokens, { refetch }] = createResource(async () => {
    const res = await app.admin.listTokens();
    if (!res.ok) throw new Error(res.error.message);
    return res.value;
  });
  const [name, setName] = createSignal('');
  const [role, setRole] = createSignal<TokenRole>('analyst');
  const [scopes, setScopes] = createSignal<Action[]>([]);
  const [error, setError] = createSignal<string | null>(null);
  const [secret, setSecret] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const toggleScope = (a: Action, on: boolean): void => {
    setScopes((s) => (on ? [...s, a] : s.filter((x) => x !== a)));
  };
  const create = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!name().trim()) {
      setError('Name the token after the integration that uses it.');
      return;
    }
    setBusy(true);
    const res = await app.admin.createToken({ name: name().trim(), role: role(), ...(scopes().length ? { scopes: scopes() } : {}) });
    setBusy(false);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    setName('');
    setScopes([]);
    setSecret(res.value.secret);
    void refetch();
  };
  const revoke = async (t: ApiToken): Promise<void> => {
    if (!confirm(`Revoke the token "${t.name}"? Integrations using it stop working at once.`)) return;
    const res = await app.admin.revokeToken(t.id);
    setError(res.ok ? null : res.error.message);
    void refetch();
  };

  return (
    <section class="admin-page" aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      <form class="card admin-form" onSubmit={(e) => void create(e)} novalidate aria-label="Create a token">
        <div class="form-field">
          <label for="token-name">Name</label>
          <input
            id="token-name"
            type="text"
            maxLength={120}
            placeholder="e.g. SIEM alerts"
            data-testid="token-name"
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <div class="form-field">
          <label for="token-role">Role</label>
          <select
            id="token-role"
            data-testid="token-role"
            value={role()}
            onChange={(e) => isTokenRole(e.currentTarget.value) && setRole(e.currentTarget.value)}
          >
            <For each={TOKEN_ROLES}>{(r) => <option value={r}>{ROLE_LABELS[r]}</option>}</For>
          </select>
        </div>
        <details>
          <summary>Narrow to scopes (optional)</summary>
          <For each={ACTIONS}>
            {(a) => (
              <label class="check">
                <input type="checkbox" checked={scopes().includes(a)} onChange={(e) => toggleScope(a, e.currentTarget.checked)} /> {a}
              </label>
            )}
          </For>
        </details>
        <button type="submit" class="btn primary" data-testid="create-token" disabled={busy()}>
          Create token
        </button>
      </form>
      <Show when={secret()}>{(s) => <CopyOnce label="The token's secret." value={s()} testId="token-secret" onDismiss={() => setSecret(null)} />}</Show>
      <AlertMessage message={error()} class="warning danger" />
      <LoadError what="The tokens" error={tokens.error} />
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Role</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Last used</th>
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={tokens() ?? []}>
              {(t) => (
                <tr data-testid="token-row" classList={{ muted: t.revoked_at !== null }}>
                  <td>{t.name}</td>
                  <td class="mono">{t.prefix}…</td>
                  <td>{ROLE_LABELS[t.role]}</td>
                  <td>{t.scopes ? t.scopes.join(', ') : 'all of the role'}</td>
                  <td>
                    {absoluteTime(t.created_at)} by {t.created_by}
                  </td>
                  <td>{t.last_used_at ? absoluteTime(t.last_used_at) : 'never'}</td>
                  <td>
                    <Show when={t.revoked_at === null} fallback={<span>Revoked {absoluteTime(t.revoked_at)}</span>}>
                      <button type="button" class="btn danger" onClick={() => void revoke(t)} data-testid="revoke-token">
                        Revoke
                      </button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}

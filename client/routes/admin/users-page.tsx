/**
 * "/admin/users" (user:manage): every account with its role and state; invite a user (the
 * one-time invitation link is shown once with a copy button), give an invited user who has not
 * accepted a new link (the earlier one stops working: for a link that was closed before it was
 * copied, or sent to the wrong place), change a role, disable or enable (disabling ends the
 * user's sessions), end a user's sessions.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { User } from '../../../shared/auth-api.ts';
import { ROLE_LABELS, ROLES, type Role } from '../../../shared/permissions.ts';
import { useApp } from '../../app-context.tsx';
import { LoadError } from '../../components/load-error.tsx';
import { CopyOnce } from '../../components/copy-once.tsx';
import { absoluteTime } from '../../components/time-format.ts';
import { AlertMessage } from '../../components/alert-message.tsx';

const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

export function UsersPage(): JSX.Element {
  const app = useApp();
  const [users, { refetch }] = createResource(async () => {
    const res = await app.admin.listUsers();
    if (!res.ok) throw new Error(res.error.message);
    return res.value;
  });
  const [email, setEmail] = createSignal('');
  const [name, setName] = createSignal('');
  const [role, setRole] = createSignal<Role>('analyst');
  const [error, setError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [inviteUrl, setInviteUrl] = createSignal<{ url: string; label: string } | null>(null);
  const [busy, setBusy] = createSignal(false);

  const invite = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!email().trim() || !name().trim()) {
      setError('Enter an email and a name.');
      return;
    }
    setBusy(true);
    const res = await app.admin.createUser({ email: email().trim(), display_name: name().trim(), role: role() });
    setBusy(false);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    setEmail('');
    setName('');
    const url = res.value.invite_url;
    setInviteUrl(url ? { url, label: 'Invitation link: send it to the new user.' } : null);
    void refetch();
  };
  const reissue = async (u: User): Promise<void> => {
    const res = await app.admin.reissueInvite(u.id);
    setError(res.ok ? null : res.error.message);
    if (!res.ok) return;
    setNotice(`${u.display_name}: a new invitation link; the earlier one no longer works.`);
    setInviteUrl({ url: res.value.invite_url, label: `New invitation link for ${u.display_name}: send it to them.` });
  };
  const patch = async (u: User, change: { role?: Role; disabled?: boolean }): Promise<void> => {
    const res = await app.admin.patchUser(u.id, change);
    setError(res.ok ? null : res.error.message);
    setNotice(
      res.ok
        ? `${u.display_name}: ${change.role ? `role is now ${ROLE_LABELS[change.role]}` : change.disabled ? 'disabled, sessions ended' : 'enabled'}.`
        : null,
    );
    void refetch();
  };
  const revokeSessions = async (u: User): Promise<void> => {
    const res = await app.admin.revokeSessions(u.id);
    setError(res.ok ? null : res.error.message);
    setNotice(res.ok ? `${u.display_name} is logged out everywhere.` : null);
  };

  return (
    <section class="admin-page" aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form class="card admin-form" onSubmit={(e) => void invite(e)} novalidate aria-label="Invite a user">
        <div class="form-field">
          <label for="invite-email">Email</label>
          <input id="invite-email" type="email" data-testid="invite-email" value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="form-field">
          <label for="invite-name">Name</label>
          <input id="invite-name" type="text" maxLength={120} data-testid="invite-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="form-field">
          <label for="invite-role">Role</label>
          <select id="invite-role" data-testid="invite-role" value={role()} onChange={(e) => isRole(e.currentTarget.value) && setRole(e.currentTarget.value)}>
            <For each={ROLES.filter((r) => r !== 'guest')}>{(r) => <option value={r}>{ROLE_LABELS[r]}</option>}</For>
          </select>
        </div>
        <button type="submit" class="btn primary" data-testid="invite-user" disabled={busy()}>
          Invite user
        </button>
      </form>
      <Show when={inviteUrl()} keyed>
        {(invite) => <CopyOnce label={invite.label} value={invite.url} testId="invite-url" onDismiss={() => setInviteUrl(null)} />}
      </Show>
      <AlertMessage message={error()} class="warning danger" />
      <Show when={notice()}>
        {(msg) => (
          <p class="muted" role="status">
            {msg()}
          </p>
        )}
      </Show>
      <LoadError what="The users" error={users.error} />
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>State</th>
              <th>Last login</th>
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={users() ?? []}>
              {(u) => (
                <tr data-testid="user-row">
                  <td>{u.display_name}</td>
                  <td>{u.email}</td>
                  <td>
                    <label class="visually-hidden" for={`role-${u.id}`}>
                      Role of {u.display_name}
                    </label>
                    <select
                      id={`role-${u.id}`}
                      value={u.role}
                      disabled={u.id === app.me()?.user.id}
                      onChange={(e) => isRole(e.currentTarget.value) && void patch(u, { role: e.currentTarget.value })}
                    >
                      <For each={ROLES}>{(r) => <option value={r}>{ROLE_LABELS[r]}</option>}</For>
                    </select>
                  </td>
                  <td>{u.disabled ? 'Disabled' : u.auth === 'invited' ? 'Invited' : 'Active'}</td>
                  <td>{u.last_login_at ? absoluteTime(u.last_login_at) : '—'}</td>
                  <td class="row-actions">
                    <Show when={u.auth === 'invited' && !u.disabled}>
                      <button
                        type="button"
                        class="btn"
                        data-testid="reissue-invite"
                        aria-label={`New invitation link for ${u.display_name}`}
                        onClick={() => void reissue(u)}
                      >
                        New invitation link
                      </button>
                    </Show>
                    <Show when={u.id !== app.me()?.user.id}>
                      <button type="button" class="btn" onClick={() => void patch(u, { disabled: !u.disabled })}>
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button type="button" class="link-btn" onClick={() => void revokeSessions(u)}>
                        Log out everywhere
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

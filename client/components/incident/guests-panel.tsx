/**
 * Guests of one incident (for guest:invite holders): invite an external person by email with
 * read or read-write access and, optionally, evidence download; list the invitations; revoke.
 * The invitation link of a new guest account is shown once.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { useApp } from '../../app-context.tsx';
import { LoadError } from '../load-error.tsx';
import type { GuestGrant } from '../../local/admin-api.ts';
import { CopyOnce } from '../copy-once.tsx';
import { absoluteTime } from '../time-format.ts';
import { AlertMessage } from '../alert-message.tsx';

export function GuestsPanel(props: { incidentId: string }): JSX.Element {
  const app = useApp();
  const [guests, { refetch }] = createResource(
    () => props.incidentId,
    async (id) => {
      const res = await app.admin.listGuests(id);
      if (!res.ok) throw new Error(res.error.message);
      return res.value;
    },
  );
  const [email, setEmail] = createSignal('');
  const [name, setName] = createSignal('');
  const [access, setAccess] = createSignal<'read' | 'write'>('read');
  const [evidence, setEvidence] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [inviteUrl, setInviteUrl] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const invite = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!email().trim() || !name().trim()) {
      setError('Enter the guest’s email and name.');
      return;
    }
    setBusy(true);
    const res = await app.admin.inviteGuest(props.incidentId, {
      email: email().trim(),
      display_name: name().trim(),
      access: access(),
      evidence_download: evidence(),
    });
    setBusy(false);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    setEmail('');
    setName('');
    setInviteUrl(res.value.invite_url);
    void refetch();
  };
  const revoke = async (g: GuestGrant): Promise<void> => {
    if (!confirm(`Revoke ${g.user.display_name}'s access to this incident?`)) return;
    const res = await app.admin.revokeGuest(props.incidentId, g.user.id);
    setError(res.ok ? null : res.error.message);
    void refetch();
  };

  return (
    <section class="card guests" aria-labelledby="guests-title" data-testid="guests-panel">
      <div class="card-head">
        <h2 id="guests-title">Guests</h2>
      </div>
      <LoadError what="The guest list" error={guests.error} class="field-error" />
      <ul class="guest-list">
        <For each={guests() ?? []} fallback={<li class="muted small">No guests on this incident.</li>}>
          {(g) => (
            <li class="guest" data-testid="guest-row">
              <span>
                <strong>{g.user.display_name}</strong> <span class="muted">{g.user.email}</span>
                <br />
                <span class="small muted">
                  {g.access === 'write' ? 'Read and write' : 'Read only'}
                  {g.evidence_download ? ' · evidence download' : ''}
                  {g.expires_at ? ` · until ${absoluteTime(g.expires_at)}` : ''}
                </span>
              </span>
              <button type="button" class="link-btn" onClick={() => void revoke(g)}>
                Revoke
              </button>
            </li>
          )}
        </For>
      </ul>
      <Show when={inviteUrl()}>
        {(url) => <CopyOnce label="Invitation link for the guest." value={url()} testId="guest-invite-url" onDismiss={() => setInviteUrl(null)} />}
      </Show>
      <form class="guest-invite" onSubmit={(e) => void invite(e)} novalidate>
        <div class="form-field">
          <label for="guest-email">Email</label>
          <input id="guest-email" type="email" value={email()} onInput={(e) => setEmail(e.currentTarget.value)} data-testid="guest-email" />
        </div>
        <div class="form-field">
          <label for="guest-name">Name</label>
          <input id="guest-name" type="text" maxLength={120} value={name()} onInput={(e) => setName(e.currentTarget.value)} data-testid="guest-name" />
        </div>
        <div class="form-field">
          <label for="guest-access">Access</label>
          <select id="guest-access" value={access()} onChange={(e) => setAccess(e.currentTarget.value === 'write' ? 'write' : 'read')}>
            <option value="read">Read only</option>
            <option value="write">Read and write</option>
          </select>
        </div>
        <label class="check">
          <input type="checkbox" checked={evidence()} onChange={(e) => setEvidence(e.currentTarget.checked)} /> May download evidence
        </label>
        <AlertMessage message={error()} />
        <button type="submit" class="btn" disabled={busy()} data-testid="guest-invite">
          Invite guest
        </button>
      </form>
    </section>
  );
}

/**
 * "/approvals": the steps waiting for a human yes, for leads and admins, refreshed every 5 s.
 * Each shows the playbook, its incident, the step, the playbook's message, who started the run,
 * when it expires and the decisions so far; Approve and Reject both need a reason (recorded in
 * the audit log and the incident's timeline). The server decides who may approve: never the one
 * who started the run, nor, for a run an event started, the one who created its incident. Each
 * approval says whether that is the caller (`caller_excluded`), and then the card explains why
 * instead of offering the buttons; any other refusal is shown as the server says it.
 */
import { Link } from '@tanstack/solid-router';
import { createSignal, For, Show, type JSX } from 'solid-js';
import type { Approval } from '../../shared/playbooks-api.ts';
import { useApp } from '../app-context.tsx';
import { createPoller } from '../components/playbooks/create-poller.ts';
import { usePlaybooks } from '../components/playbooks/playbooks-context.tsx';
import { ApprovalAction } from '../components/playbooks/approval-action.tsx';
import { approvalExclusionText, expiresIn } from '../components/playbooks/run-state.ts';
import { KeyedFor } from '../components/keyed-for.tsx';
import { createTicker } from '../components/sla-badge.tsx';
import { absoluteTime, relativeTime } from '../components/time-format.ts';
import { createLiveQuery } from '../primitives/create-live-query.ts';
import '../components/playbooks/playbooks.css';

const POLL_MS = 5_000;

type View = { kind: 'loading' } | { kind: 'ready'; items: Approval[] } | { kind: 'failed'; reason: string; items: Approval[] };

export function ApprovalsPage(): JSX.Element {
  const app = useApp();
  const pb = usePlaybooks();
  const now = createTicker();
  const [view, setView] = createSignal<View>({ kind: 'loading' });
  const [notice, setNotice] = createSignal<string | null>(null);

  const load = async (): Promise<void> => {
    const res = await pb.api.approvals('pending');
    if (res.ok) setView({ kind: 'ready', items: res.value });
    else {
      const v = view();
      setView({
        kind: 'failed',
        reason: res.error.kind === 'network' ? 'The server cannot be reached.' : res.error.message,
        items: v.kind === 'loading' ? [] : v.items,
      });
    }
  };
  const poller = createPoller({ load, intervalMs: () => POLL_MS });

  const items = (): Approval[] => {
    const v = view();
    return v.kind === 'loading' ? [] : v.items;
  };
  const keys = createLiveQuery(
    () => [...new Set(items().flatMap((a) => (a.incident_id ? [a.incident_id] : [])))],
    async (incidentIds) => {
      const rows = await app.engine.db.incidents.bulkGet(incidentIds);
      return new Map(rows.flatMap((r) => (r ? [[r.id, r.key ?? r.title] as const] : [])));
    },
    new Map<string, string>(),
  );

  const decided = (a: Approval, decision: 'approve' | 'reject'): void => {
    setNotice(`${decision === 'approve' ? 'Approved' : 'Rejected'}: ${a.playbook_name}, step ${a.step_id}.`);
    poller.now();
  };

  return (
    <section class="list-page" aria-labelledby="approvals-title">
      <div class="page-head">
        <h1 id="approvals-title">Approvals</h1>
        <span class="muted">Playbook steps waiting for a decision</span>
      </div>
      <Show when={!app.can('playbook:approve')}>
        <p class="warning" role="status">
          Your role cannot approve playbook steps; leads and admins can.
        </p>
      </Show>
      <Show when={notice()}>
        {(n) => (
          <p class="warning" role="status" data-testid="approvals-notice">
            {n()}
          </p>
        )}
      </Show>
      <Show
        when={(() => {
          const v = view();
          return v.kind === 'failed' ? v : null;
        })()}
      >
        {(v) => (
          <p class="warning danger" role="alert">
            The approvals could not be loaded: {v().reason}
          </p>
        )}
      </Show>
      <Show when={view().kind !== 'loading'} fallback={<p class="empty">Loading approvals…</p>}>
        <Show when={items().length > 0} fallback={<p class="empty">Nothing waits for an approval.</p>}>
          <ul class="pb-approvals" data-testid="approvals-list">
            {/* By id, so a refresh keeps each card (and the reason being typed in it). */}
            <KeyedFor each={items()} by={(a) => a.id}>
              {(a) => (
                <ApprovalCard
                  approval={a()}
                  now={now()}
                  incidentLabel={a().incident_id ? (keys.value().get(a().incident_id ?? '') ?? null) : null}
                  onDecided={(d) => decided(a(), d)}
                />
              )}
            </KeyedFor>
          </ul>
        </Show>
      </Show>
    </section>
  );
}

function ApprovalCard(props: {
  approval: Approval;
  now: number;
  incidentLabel: string | null;
  onDecided: (decision: 'approve' | 'reject') => void;
}): JSX.Element {
  const pb = usePlaybooks();
  const [reason, setReason] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const reasonId = `approval-reason-${props.approval.id}`;
  const approvals = (): number => props.approval.decisions.filter((d) => d.decision === 'approve').length;

  const decide = async (decision: 'approve' | 'reject'): Promise<void> => {
    const why = reason().trim();
    if (!why) {
      setError(`Say why you ${decision} this step: the reason is recorded in the audit log and the timeline.`);
      return;
    }
    setBusy(true);
    const res = await pb.api.decide(props.approval.id, { decision, reason: why });
    setBusy(false);
    if (!res.ok) {
      setError(res.error.kind === 'network' ? 'The server cannot be reached; nothing was decided. Try again when online.' : res.error.message);
      return;
    }
    setError(null);
    setReason('');
    props.onDecided(decision);
  };

  return (
    <li class="card pb-approval" data-testid="approval" data-approval={props.approval.id}>
      <div class="pb-approval-head">
        <strong>{props.approval.playbook_name}</strong>
        <span class="muted">step</span>
        <code>{props.approval.step_id}</code>
      </div>
      <p class="pb-approval-message" data-testid="approval-message">
        {props.approval.message}
      </p>
      <ApprovalAction approval={props.approval} />
      <dl class="pb-facts">
        <dt>Incident</dt>
        <dd>
          <Show when={props.approval.incident_id} fallback={<span class="muted">none</span>}>
            {(incidentId) => (
              <Link to="/incidents/$id" params={{ id: incidentId() }} data-testid="approval-incident">
                {props.incidentLabel ?? 'Open the incident'}
              </Link>
            )}
          </Show>
        </dd>
        <dt>Requested by</dt>
        <dd>
          {props.approval.requested_by},{' '}
          <time datetime={props.approval.requested_at} title={absoluteTime(props.approval.requested_at)}>
            {relativeTime(props.approval.requested_at, props.now)}
          </time>
        </dd>
        <dt>Expires</dt>
        <dd title={absoluteTime(props.approval.expires_at)} data-testid="approval-expires">
          {expiresIn(props.approval.expires_at, props.now)} (then: {props.approval.on_timeout})
        </dd>
        <dt>Approvers</dt>
        <dd>
          {props.approval.roles.join(' or ')}; {approvals()} of {props.approval.min_approvers} approval{props.approval.min_approvers === 1 ? '' : 's'} given
        </dd>
        <Show when={props.approval.decisions.length > 0}>
          <dt>Decisions</dt>
          <dd>
            <ul class="small">
              <For each={props.approval.decisions}>
                {(d) => (
                  <li>
                    {d.by} {d.decision === 'approve' ? 'approved' : 'rejected'}: {d.reason}
                  </li>
                )}
              </For>
            </ul>
          </dd>
        </Show>
      </dl>
      <Show
        when={approvalExclusionText(props.approval)}
        fallback={
          <form class="pb-decide" onSubmit={(e) => e.preventDefault()} novalidate>
            <label for={reasonId}>Reason (required)</label>
            <textarea
              id={reasonId}
              maxLength={2000}
              value={reason()}
              onInput={(e) => setReason(e.currentTarget.value)}
              data-testid="approval-reason"
              aria-invalid={error() !== null}
            />
            <Show when={error()}>
              {(msg) => (
                <p class="field-error" role="alert" data-testid="approval-error">
                  {msg()}
                </p>
              )}
            </Show>
            <div class="pb-actions">
              <button type="button" class="btn primary" disabled={busy()} onClick={() => void decide('approve')} data-testid="approval-approve">
                Approve
              </button>
              <button type="button" class="btn danger" disabled={busy()} onClick={() => void decide('reject')} data-testid="approval-reject">
                Reject
              </button>
            </div>
          </form>
        }
      >
        {(why) => (
          <p class="muted" data-testid="approval-excluded">
            {why()}
          </p>
        )}
      </Show>
    </li>
  );
}

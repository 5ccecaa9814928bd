/**
 * "/admin/playbooks" (admin): the playbooks the server loaded (triggers, match criteria, steps
 * and which are gated), the files it refused with every problem (file, line, reason), webhook
 * secrets (generated on the server, shown once), and the connectors' settings and secrets.
 * Playbook files are edited on the server's disk; this page shows what the server made of them.
 */
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import type { WorkflowSummary } from '../../../shared/playbooks-api.ts';
import { useApp } from '../../app-context.tsx';
import { CopyOnce } from '../../components/copy-once.tsx';
import { LoadError } from '../../components/load-error.tsx';
import { ConnectorForm } from '../../components/playbooks/connector-form.tsx';
import { usePlaybooks } from '../../components/playbooks/playbooks-context.tsx';
import { AlertMessage } from '../../components/alert-message.tsx';
import '../../components/playbooks/playbooks.css';

export function PlaybooksAdminPage(): JSX.Element {
  const app = useApp();
  const pb = usePlaybooks();
  const [workflows, { refetch: refetchWorkflows }] = createResource(async () => {
    const res = await pb.api.workflows();
    if (!res.ok) throw new Error(res.error.message);
    return res.value;
  });
  const [connectors, { refetch: refetchConnectors }] = createResource(async () => {
    const res = await pb.api.connectors();
    if (!res.ok) throw new Error(res.error.message);
    return res.value;
  });
  // Kept here, not in the cards: the lists are re-read after a change, which renders new cards.
  const [secret, setSecret] = createSignal<{ playbook: string; value: string } | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);

  return (
    <section class="admin-page" aria-labelledby="playbooks-admin-title">
      <h1 id="playbooks-admin-title">Playbooks and connectors</h1>
      <Show when={!app.can('settings:manage')}>
        <p class="warning" role="status">
          Only admins change connectors and webhook secrets.
        </p>
      </Show>
      <LoadError what="The playbooks" error={workflows.error} />
      <Show when={secret()}>
        {(s) => (
          <CopyOnce label={`The webhook secret of "${s().playbook}".`} value={s().value} testId="webhook-secret-value" onDismiss={() => setSecret(null)} />
        )}
      </Show>
      <Show when={notice()}>
        {(n) => (
          <p class="warning" role="status">
            {n()}
          </p>
        )}
      </Show>

      <Show when={(workflows()?.refused.length ?? 0) > 0}>
        <div class="card" data-testid="refused-playbooks">
          <h2>Refused playbooks</h2>
          <p class="muted small">These files did not load; the server runs the others. Fix the file and restart the server.</p>
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Line</th>
                  <th>Where</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                <For each={workflows()?.refused ?? []}>
                  {(file) => (
                    <For each={file.problems}>
                      {(p) => (
                        <tr data-testid="refused-problem">
                          <td class="mono">{p.file || file.file}</td>
                          <td class="num">{p.line ?? '—'}</td>
                          <td class="mono">{p.path ?? '—'}</td>
                          <td>{p.reason}</td>
                        </tr>
                      )}
                    </For>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </div>
      </Show>

      <h2>Loaded playbooks</h2>
      <Show when={workflows()} fallback={<p class="muted">Loading playbooks…</p>}>
        {(w) => (
          <Show when={w().items.length > 0} fallback={<p class="muted">No playbook loaded.</p>}>
            <For each={w().items}>
              {(wf) => (
                <PlaybookCard
                  workflow={wf}
                  onSecret={(value) => {
                    setNotice(null);
                    setSecret({ playbook: wf.name, value });
                    void refetchWorkflows();
                  }}
                />
              )}
            </For>
          </Show>
        )}
      </Show>

      <h2>Connectors</h2>
      <LoadError what="The connectors" error={connectors.error} />
      <For each={connectors() ?? []}>
        {(c) => (
          <ConnectorForm
            connector={c}
            onSaved={() => {
              setNotice(`Connector ${c.name} saved.`);
              void refetchConnectors();
            }}
          />
        )}
      </For>
    </section>
  );
}

function PlaybookCard(props: { workflow: WorkflowSummary; onSecret: (secret: string) => void }): JSX.Element {
  const pb = usePlaybooks();
  const wf = (): WorkflowSummary => props.workflow;
  const [error, setError] = createSignal<string | null>(null);
  const match = (): string[] => {
    const m = wf().match;
    return [
      m.categories?.length ? `category ${m.categories.join(' or ')}` : null,
      m.severity_at_least ? `severity ${m.severity_at_least} or higher` : null,
      m.observable_kinds?.length ? `an observable of kind ${m.observable_kinds.join(' or ')}` : null,
      m.tags?.length ? `tags ${m.tags.join(', ')}` : null,
      m.when ? `when ${m.when}` : null,
    ].filter((x): x is string => x !== null);
  };
  const triggers = (): string => {
    const t = wf().triggers;
    return [t.manual ? 'manual' : null, ...t.on.map((e) => `on ${e}`), t.webhook ? 'webhook' : null].filter((x) => x !== null).join(', ') || 'none';
  };
  const generate = async (): Promise<void> => {
    if (wf().webhook_secret_set && !confirm(`Replace the webhook secret of "${wf().name}"? Senders using the old one are refused from now on.`)) return;
    const res = await pb.api.newWebhookSecret(wf().id);
    if (!res.ok) {
      setError(res.error.message);
      return;
    }
    setError(null);
    props.onSecret(res.value);
  };

  return (
    <article class="card pb-admin-playbook" data-testid="admin-playbook" data-playbook={wf().id}>
      <div class="card-head">
        <h3>
          {wf().name} <span class="muted small">v{wf().version}</span>
        </h3>
        <code class="muted small">{wf().file}</code>
      </div>
      <Show when={wf().description}>
        <p class="muted">{wf().description}</p>
      </Show>
      <dl class="pb-facts">
        <dt>Id</dt>
        <dd class="mono">{wf().id}</dd>
        <dt>Starts</dt>
        <dd>{triggers()}</dd>
        <dt>Applies to</dt>
        <dd>{match().length ? match().join('; ') : 'every incident'}</dd>
        <Show when={wf().triggers.webhook}>
          <dt>Webhook</dt>
          <dd>
            <code>POST /api/v1/hooks/{wf().id}</code> · secret {wf().webhook_secret_set ? 'set' : 'not set'}{' '}
            <button type="button" class="btn" onClick={() => void generate()} data-testid="webhook-secret">
              {wf().webhook_secret_set ? 'Replace secret' : 'Generate secret'}
            </button>
          </dd>
        </Show>
      </dl>
      <AlertMessage message={error()} class="warning danger" />
      <div class="table-wrap">
        <table class="admin-table">
          <thead>
            <tr>
              <th>Step</th>
              <th>Action</th>
              <th>Needs</th>
              <th>Approval</th>
            </tr>
          </thead>
          <tbody>
            <For each={wf().steps}>
              {(s) => (
                <tr>
                  <td>
                    <span class="mono">{s.id}</span>
                    <Show when={s.name}>{(n) => <div class="small">{n()}</div>}</Show>
                  </td>
                  <td class="mono">{s.action}</td>
                  <td class="mono">{s.needs.join(', ') || '—'}</td>
                  <td>{s.gated ? 'gated' : '—'}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </article>
  );
}

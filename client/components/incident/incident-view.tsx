/**
 * One open incident: its key and title, who else is here, warnings (invalid data, no access,
 * read-only, live sync refused, background sync refused), the workflow, the co-edited description, the timeline,
 * the details and the task checklist.
 *
 * A sticky "Jump to" index under the header links to every section (each wrapped in a focusable
 * anchor here, so the panels need not know), so a phone reaches the playbooks or the evidence
 * thousands of pixels down in one tap.
 */
import { createResource, createSignal, For, onCleanup, Show, type JSX } from 'solid-js';
import { descriptionText, setFields } from '../../../shared/incident-doc.ts';
import { LIMITS, type IncidentMeta } from '../../../shared/incident-schema.ts';
import { SYNC_CLOSE } from '../../../shared/api.ts';
import { useApp } from '../../app-context.tsx';
import type { DocSession } from '../../local/doc-session.ts';
import type { CustomFieldDefinition } from '../../local/incident-api.ts';
import { isTransientDocError } from '../../local/sync-state.ts';
import { createLiveQuery } from '../../primitives/create-live-query.ts';
import { createObservableSignal } from '../../primitives/create-observable.ts';
import { SeverityBadge, StatusBadge, TlpBadge } from '../badges.tsx';
import { relativeTime } from '../time-format.ts';
import { createPainted } from './after-paint.ts';
import { ClocksPanel } from './clocks-panel.tsx';
import { LazyCollabText } from './collab-text.tsx';
import { CustomFieldsPanel } from './custom-fields-panel.tsx';
import { RelatedPanel } from './related-panel.tsx';
import { RiskPanel } from './risk-panel.tsx';
import { GuestsPanel } from './guests-panel.tsx';
import { FieldsPanel } from './fields-panel.tsx';
import { PlaybooksPanel } from '../playbooks/playbooks-panel.tsx';
import { ObservablesPanel } from './observables-panel.tsx';
import { EvidencePanel } from '../evidence/evidence-panel.tsx';
import { IntelMatchesPanel } from '../intel/intel-matches-panel.tsx';
import { createIncidentState } from './incident-state.ts';
import { PresenceBar } from './presence-bar.tsx';
import { StatusControl } from './status-control.tsx';
import { TaskList } from './task-list.tsx';
import { Timeline } from './timeline.tsx';

export function IncidentView(props: { session: DocSession }): JSX.Element {
  const app = useApp();
  const doc = props.session.doc;
  const state = createIncidentState(doc);
  const live = createObservableSignal(props.session.live);
  const syncState = createLiveQuery(
    () => props.session.id,
    (id) => app.engine.db.syncState.get(id).then((r) => r ?? null),
    null,
  );
  const [fieldError, setFieldError] = createSignal<string | null>(null);
  // The side panels (clocks, risk, details, related, custom fields, guests) mount once the first
  // frame has painted, so the title, status and timeline show first on a large incident.
  const painted = createPainted();
  // The lead's custom field definitions (server; none when offline: stored values still show).
  const [fieldDefs] = createResource(async (): Promise<Record<string, CustomFieldDefinition[]>> => {
    const res = await app.api.customFieldDefinitions();
    return res.ok ? res.value : {};
  });
  const readOnly = (): boolean => !app.can('incident:write', props.session.id);
  const guest = (): boolean => app.me()?.user.role === 'guest';
  /** The index's entries, most used first; the side panels only once they are mounted. */
  const sections = (): { id: string; label: string }[] => [
    { id: 'sec-status', label: 'Status' },
    { id: 'sec-timeline', label: 'Timeline' },
    { id: 'sec-tasks', label: 'Tasks' },
    ...(painted()
      ? [
          ...(guest() ? [] : [{ id: 'sec-playbooks', label: 'Playbooks' }]),
          { id: 'sec-evidence', label: 'Evidence' },
          { id: 'sec-observables', label: 'Observables' },
          ...(guest() ? [] : [{ id: 'sec-intel', label: 'Intel' }]),
          { id: 'sec-details', label: 'Details' },
          { id: 'sec-clocks', label: 'Clocks' },
          { id: 'sec-risk', label: 'Risk' },
          { id: 'sec-related', label: 'Related' },
          { id: 'sec-custom', label: 'Custom fields' },
          ...(app.can('guest:invite', props.session.id) ? [{ id: 'sec-guests', label: 'Guests' }] : []),
        ]
      : []),
    { id: 'sec-description', label: 'Description' },
  ];
  /** Scroll to a section and move the focus there (keyboard and screen reader users follow). */
  const jump = (e: MouseEvent, id: string): void => {
    const target = document.getElementById(id);
    if (!target) return;
    e.preventDefault();
    target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  };
  /** The server said this user may not see this incident (socket 4404 or a batch refusal). */
  const noAccess = (): boolean => {
    const l = live();
    return (l.kind === 'refused' && l.code === SYNC_CLOSE.forbidden.code) || syncState.value()?.error?.code === 'forbidden';
  };

  return (
    <Show
      when={state.meta}
      fallback={
        <section class="empty-state">
          <h1>Waiting for the incident's data</h1>
          <p>This document holds no incident yet. It fills in as soon as its content arrives from the server.</p>
        </section>
      }
    >
      {(meta) => (
        <article class="incident" aria-labelledby="incident-title-label">
          <header class="incident-header">
            <div class="incident-ids">
              <span
                class="incident-key"
                classList={{ pending: !meta().key }}
                data-testid="incident-key"
                title={meta().key ? 'Incident key' : 'The server assigns a key when it first sees this incident'}
              >
                {meta().key ?? 'Key pending'}
              </span>
              <StatusBadge status={meta().status} />
              <SeverityBadge severity={meta().severity} long />
              <TlpBadge tlp={meta().tlp} />
              <span class="muted small" title={meta().updatedAt}>
                Updated {relativeTime(meta().updatedAt, app.now())}
              </span>
            </div>
            <TitleField session={props.session} meta={meta()} onError={setFieldError} readOnly={readOnly()} />
            <PresenceBar awareness={props.session.awareness} />
          </header>

          <nav class="jump-index" aria-label="Jump to a section of this incident" data-testid="jump-index">
            <span class="jump-label" aria-hidden="true">
              Jump to
            </span>
            <ul>
              <For each={sections()}>
                {(sec) => (
                  <li>
                    <a href={`#${sec.id}`} class="jump-link" data-testid={`jump-${sec.id.slice(4)}`} onClick={(e) => jump(e, sec.id)}>
                      {sec.label}
                    </a>
                  </li>
                )}
              </For>
            </ul>
          </nav>

          <div class="warnings">
            <Show when={state.problems.length > 0}>
              <div class="warning" role="note" data-testid="incident-problems">
                <strong>Some of this incident's data is invalid</strong> and is shown with safe defaults ({state.problems.length} problem
                {state.problems.length === 1 ? '' : 's'}).
                <details>
                  <summary>Details</summary>
                  <ul>
                    <For each={state.problems.slice(0, 20)}>{(p) => <li>{p}</li>}</For>
                  </ul>
                </details>
              </div>
            </Show>
            <Show when={noAccess()}>
              <div class="warning danger" role="alert" data-testid="no-access">
                <strong>You have no access to this incident.</strong> The server refused it for your account; ask an incident lead to invite you if you need it.
              </div>
            </Show>
            <Show when={readOnly() && !noAccess()}>
              <div class="warning" role="note" data-testid="read-only-note">
                <strong>Read-only:</strong> your access lets you read this incident but not change it.
              </div>
            </Show>
            <Show
              when={(() => {
                const l = live();
                return l.kind === 'refused' && l.code !== SYNC_CLOSE.forbidden.code && l.code !== SYNC_CLOSE.unauthenticated.code ? l : null;
              })()}
            >
              {(refused) => (
                <div class="warning danger" role="alert" data-testid="live-refused">
                  <strong>Live collaboration was refused by the server:</strong> {refused().reason} (code {refused().code}). Your edits are kept on this device.{' '}
                  <button type="button" class="link-btn" onClick={() => props.session.reconnect()}>
                    Try again
                  </button>
                </div>
              )}
            </Show>
            <Show
              when={(() => {
                const e = syncState.value()?.error;
                return e && e.code !== 'forbidden' ? e : null;
              })()}
            >
              {(e) => (
                <div class="warning" classList={{ danger: !isTransientDocError(e().code) }} role="alert" data-testid="sync-refused">
                  <strong>
                    {isTransientDocError(e().code) ? 'The server could not sync this incident just now:' : "The server refused this incident's changes:"}
                  </strong>{' '}
                  {e().message}. Your changes are kept on this device and retried automatically.
                </div>
              )}
            </Show>
            <Show when={fieldError()}>
              {(msg) => (
                <div class="warning" role="alert">
                  {msg()}
                </div>
              )}
            </Show>
          </div>

          {/* A disabled fieldset disables every native control inside it for read-only users. */}
          <fieldset class="incident-grid plain-fieldset" disabled={readOnly()} data-readonly={readOnly() ? 'true' : undefined}>
            <div class="incident-main">
              <div id="sec-status" class="jump-target" tabindex="-1">
                <StatusControl doc={doc} status={meta().status} readOnly={readOnly()} />
              </div>
              <section id="sec-description" class="card jump-target" tabindex="-1" aria-labelledby="desc-label">
                <h2 id="desc-label">Description</h2>
                {/* Plain text in the first frame; the editor mounts as soon as it has painted. */}
                <LazyCollabText
                  text={descriptionText(doc)}
                  plain={descriptionText(doc).toString()}
                  awareness={props.session.awareness}
                  label="Description"
                  placeholder="What is known so far"
                  testId="field-description"
                  class="description"
                  readOnly={readOnly()}
                />
              </section>
              <div id="sec-timeline" class="jump-target" tabindex="-1">
                <Timeline doc={doc} awareness={props.session.awareness} readOnly={readOnly()} />
              </div>
            </div>
            <aside class="incident-side">
              <div id="sec-tasks" class="jump-target" tabindex="-1">
                <TaskList doc={doc} tasks={state.tasks} readOnly={readOnly()} />
              </div>
              <Show when={painted()}>
                <div id="sec-observables" class="jump-target" tabindex="-1">
                  <ObservablesPanel doc={doc} observables={meta().observables} readOnly={readOnly()} />
                </div>
                <div id="sec-clocks" class="jump-target" tabindex="-1">
                  <ClocksPanel doc={doc} meta={meta()} readOnly={readOnly()} onError={setFieldError} />
                </div>
                <div id="sec-risk" class="jump-target" tabindex="-1">
                  <RiskPanel risk={meta().risk} severity={meta().severity} />
                </div>
                <div id="sec-details" class="jump-target" tabindex="-1">
                  <FieldsPanel doc={doc} meta={meta()} onError={setFieldError} />
                </div>
                <div id="sec-related" class="jump-target" tabindex="-1">
                  <RelatedPanel doc={doc} incidentId={props.session.id} related={meta().relatedIncidents} />
                </div>
                <div id="sec-custom" class="jump-target" tabindex="-1">
                  <CustomFieldsPanel doc={doc} values={meta().customFields} definitions={fieldDefs()?.[meta().category] ?? []} onError={setFieldError} />
                </div>
                <Show when={app.can('guest:invite', props.session.id)}>
                  <div id="sec-guests" class="jump-target" tabindex="-1">
                    <GuestsPanel incidentId={props.session.id} />
                  </div>
                </Show>
              </Show>
            </aside>
          </fieldset>
          {/* Server-authority panels, outside the read-only fieldset: a viewer may still download
              evidence or read runs; each panel checks its own permissions. */}
          <Show when={painted()}>
            <div class="incident-authority">
              <Show when={!guest()}>
                <div id="sec-playbooks" class="jump-target" tabindex="-1">
                  <PlaybooksPanel incidentId={props.session.id} role={app.me()?.user.role ?? 'viewer'} />
                </div>
              </Show>
              <div id="sec-evidence" class="jump-target" tabindex="-1">
                <EvidencePanel incidentId={props.session.id} doc={doc} />
              </div>
              <Show when={!guest()}>
                <div id="sec-intel" class="jump-target" tabindex="-1">
                  <IntelMatchesPanel incidentId={props.session.id} />
                </div>
              </Show>
            </div>
          </Show>
        </article>
      )}
    </Show>
  );
}

/**
 * The title, written as the user types (after a short pause) and when the field loses focus.
 * While the field has focus a remote change does not overwrite what is being typed.
 */
function TitleField(props: { session: DocSession; meta: IncidentMeta; onError: (m: string | null) => void; readOnly: boolean }): JSX.Element {
  const app = useApp();
  const [draft, setDraft] = createSignal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const commit = (value: string): void => {
    clearTimeout(timer);
    if (props.readOnly) return;
    // A textarea accepts pasted line breaks; a title is one line.
    const title = value.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    if (!title) {
      props.onError('The title cannot be empty; the previous title is kept.');
      return;
    }
    if (title === props.meta.title) return;
    const res = setFields(props.session.doc, { title }, app.authorName());
    props.onError(res.ok ? null : res.error);
  };
  onCleanup(() => clearTimeout(timer));
  return (
    <div class="title-field">
      <label id="incident-title-label" for="incident-title" class="visually-hidden">
        Incident title
      </label>
      {/* A textarea so a long title wraps on a narrow screen; Enter still ends the edit. */}
      <textarea
        id="incident-title"
        class="incident-title"
        data-testid="field-title"
        rows={1}
        maxLength={LIMITS.title}
        readOnly={props.readOnly}
        value={draft() ?? props.meta.title}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setDraft(v);
          clearTimeout(timer);
          timer = setTimeout(() => commit(v), 600);
        }}
        onBlur={(e) => {
          commit(e.currentTarget.value);
          setDraft(null);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            e.currentTarget.blur();
          }
        }}
      />
    </div>
  );
}

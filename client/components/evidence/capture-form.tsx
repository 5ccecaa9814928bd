/**
 * Add evidence: a file plus what the court will ask (type, description, tags, who collected it,
 * when and where, the source host). The file goes into the device's outbox, so this works
 * offline; hashing and upload happen there.
 */
import { createSignal, createUniqueId, For, Show, type JSX } from 'solid-js';
import { EVIDENCE_TYPE_LABELS, EVIDENCE_TYPES, type EvidenceType } from '../../../shared/evidence-api.ts';
import { fromLocalInput, toLocalInput } from '../time-format.ts';
import { useEvidence } from './evidence-context.tsx';

export function CaptureForm(props: { incidentId: string; onDone(): void }): JSX.Element {
  const evidence = useEvidence();
  const uid = createUniqueId();
  const [file, setFile] = createSignal<File | null>(null);
  const [type, setType] = createSignal<EvidenceType>('file');
  const [description, setDescription] = createSignal('');
  const [tags, setTags] = createSignal('');
  const [collectedBy, setCollectedBy] = createSignal('');
  const [collectedAt, setCollectedAt] = createSignal(toLocalInput(new Date().toISOString()));
  const [collectedWhere, setCollectedWhere] = createSignal('');
  const [sourceHost, setSourceHost] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const f = file();
    const at = fromLocalInput(collectedAt());
    if (!f) return void setError('Choose the file to add.');
    if (!at) return void setError('Enter when the evidence was collected.');
    setError(null);
    setBusy(true);
    try {
      await evidence.outbox.capture(props.incidentId, f, {
        type: type(),
        file_name: (f.name || 'evidence').slice(0, 255),
        description: description().trim(),
        tags: [
          ...new Set(
            tags()
              .split(',')
              .map((t) => t.trim().slice(0, 64))
              .filter(Boolean),
          ),
        ].slice(0, 50),
        ...(collectedBy().trim() ? { collected_by: collectedBy().trim() } : {}),
        collected_at: at,
        collected_where: collectedWhere().trim(),
        source_host: sourceHost().trim() || null,
        linked_entries: [],
      });
      props.onDone();
    } catch (err) {
      setError(`The file could not be kept on this device: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="ev-capture" onSubmit={(e) => void submit(e)} data-testid="evidence-capture-form">
      <div class="field ev-span">
        <label for={`${uid}-file`}>File</label>
        <input id={`${uid}-file`} type="file" data-testid="evidence-file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      </div>
      <div class="field">
        <label for={`${uid}-type`}>Type</label>
        <select id={`${uid}-type`} value={type()} onChange={(e) => setType(e.currentTarget.value as EvidenceType)}>
          <For each={EVIDENCE_TYPES}>{(t) => <option value={t}>{EVIDENCE_TYPE_LABELS[t]}</option>}</For>
        </select>
      </div>
      <div class="field">
        <label for={`${uid}-at`}>Collected at</label>
        <input id={`${uid}-at`} type="datetime-local" step="1" value={collectedAt()} onInput={(e) => setCollectedAt(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${uid}-where`}>Collected where</label>
        <input
          id={`${uid}-where`}
          type="text"
          maxLength={500}
          placeholder="Site, room, system"
          value={collectedWhere()}
          onInput={(e) => setCollectedWhere(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={`${uid}-host`}>Source host</label>
        <input id={`${uid}-host`} type="text" maxLength={255} value={sourceHost()} onInput={(e) => setSourceHost(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${uid}-by`}>Collected by</label>
        <input
          id={`${uid}-by`}
          type="text"
          maxLength={200}
          placeholder="You, unless someone else did"
          value={collectedBy()}
          onInput={(e) => setCollectedBy(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={`${uid}-tags`}>Tags</label>
        <input id={`${uid}-tags`} type="text" placeholder="comma, separated" value={tags()} onInput={(e) => setTags(e.currentTarget.value)} />
      </div>
      <div class="field ev-span">
        <label for={`${uid}-desc`}>Description</label>
        <textarea id={`${uid}-desc`} maxLength={4000} value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
      </div>
      <Show when={error()}>
        <p class="field-error ev-span" role="alert">
          {error()}
        </p>
      </Show>
      <div class="ev-actions ev-span">
        <button type="submit" class="btn primary" disabled={busy()} data-testid="evidence-capture-submit">
          {busy() ? 'Saving on this device…' : 'Add evidence'}
        </button>
        <button type="button" class="btn" onClick={() => props.onDone()}>
          Cancel
        </button>
        <span class="muted small">Kept on this device and uploaded when the network allows.</span>
      </div>
    </form>
  );
}

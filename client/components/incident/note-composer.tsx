/** The "add a note" box under the timeline: text, an optional event time (in the display zone), Ctrl+Enter. */
import { createSignal, type JSX } from 'solid-js';
import type * as Y from 'yjs';
import { addTimelineEntry } from '../../../shared/incident-doc.ts';
import { LIMITS } from '../../../shared/incident-schema.ts';
import { useApp } from '../../app-context.tsx';
import { AlertMessage } from '../alert-message.tsx';
import { fromLocalInput, zoneName } from '../time-format.ts';

export function NoteComposer(props: { doc: Y.Doc }): JSX.Element {
  const app = useApp();
  const [text, setText] = createSignal('');
  const [at, setAt] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  let input: HTMLTextAreaElement | undefined;
  const submit = (e?: Event): void => {
    e?.preventDefault();
    const value = text().trim();
    if (!value) {
      setError('Write something first.');
      input?.focus();
      return;
    }
    const when = fromLocalInput(at());
    const added = addTimelineEntry(props.doc, { kind: 'note', text: value, author: app.authorName(), ...(when ? { at: when } : {}) });
    if (!added.ok) {
      setError(added.error);
      return;
    }
    setError(null);
    setText('');
    setAt('');
    input?.focus();
  };
  return (
    <form class="composer" onSubmit={submit}>
      <label for="note-input">Add a note</label>
      <textarea
        id="note-input"
        ref={input}
        data-testid="note-input"
        rows={3}
        maxLength={LIMITS.noteText}
        placeholder="What happened, what you did, what you found. Ctrl+Enter to add."
        value={text()}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}
      />
      <div class="composer-row">
        <label class="composer-time">
          <span>Happened at ({zoneName()}, optional)</span>
          <input type="datetime-local" step="1" value={at()} onInput={(e) => setAt(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn primary" data-testid="add-note">
          Add note
        </button>
      </div>
      <AlertMessage message={error()} />
    </form>
  );
}

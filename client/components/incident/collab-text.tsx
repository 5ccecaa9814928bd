/**
 * A co-edited text (a Y.Text in the incident document) in CodeMirror 6 bound with yCollab: every
 * keystroke merges with the others' edits, and the others' cursors and selections show with
 * their names. `LazyCollabText` shows the plain text until it scrolls into view, so a timeline of
 * thousands of notes mounts only the editors someone can see.
 */
import { defaultKeymap } from '@codemirror/commands';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder as cmPlaceholder } from '@codemirror/view';
import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';

export interface CollabTextProps {
  text: Y.Text;
  awareness: Awareness;
  /** Accessible name of the editor. */
  label: string;
  placeholder?: string;
  class?: string;
  testId?: string;
  /** Shown, followed live, but not editable (viewers, read-only guests). */
  readOnly?: boolean;
}

const theme = EditorView.theme({
  '&': { fontSize: 'inherit' },
  '&.cm-focused': { outline: 'none' },
  '.cm-content': { fontFamily: 'inherit', padding: '0', caretColor: 'currentColor', minHeight: '1.5em' },
  '.cm-line': { padding: '0' },
  '.cm-scroller': { fontFamily: 'inherit', lineHeight: '1.5' },
});

function CollabText(props: CollabTextProps): JSX.Element {
  let host: HTMLDivElement | undefined;
  onMount(() => {
    if (!host) return;
    const undoManager = new Y.UndoManager(props.text);
    const view = new EditorView({
      parent: host,
      state: EditorState.create({
        doc: props.text.toString(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
          yCollab(props.text, props.awareness, { undoManager }),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': props.label, 'aria-multiline': 'true' }),
          props.placeholder ? cmPlaceholder(props.placeholder) : [],
          props.readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [],
          theme,
        ],
      }),
    });
    onCleanup(() => {
      view.destroy();
      undoManager.destroy();
    });
  });
  return <div ref={host} class={`collab-text ${props.class ?? ''}`} data-testid={props.testId} />;
}

/** Plain text until visible, then a live editor (kept once mounted). */
export function LazyCollabText(props: CollabTextProps & { plain: string }): JSX.Element {
  const [visible, setVisible] = createSignal(false);
  let probe: HTMLDivElement | undefined;
  onMount(() => {
    if (!probe || typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          io.disconnect();
        }
      },
      { rootMargin: '400px 0px' },
    );
    io.observe(probe);
    onCleanup(() => io.disconnect());
  });
  return (
    <Show
      when={visible()}
      fallback={
        <div ref={probe} class={`collab-text plain ${props.class ?? ''}`} data-testid={props.testId} tabindex="0" onFocus={() => setVisible(true)}>
          {props.plain}
        </div>
      }
    >
      <CollabText {...props} />
    </Show>
  );
}

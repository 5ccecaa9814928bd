/**
 * A touch screen never shows a `title` tooltip. Mounted once (in the header), this listens for
 * taps anywhere: a tap on a non-interactive element that carries a `title` (a badge, a time, a
 * clock, the connection state) shows that text in a bar at the bottom of the screen, announced
 * politely, until the next tap elsewhere, Escape or its ✕. Mouse clicks are left alone (the
 * browser's tooltip shows on hover); controls keep their own action and have their own names.
 */
import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';

const INTERACTIVE = 'a[href], button, input, select, textarea, summary, label, [role="button"], [contenteditable="true"], .cm-editor';

export function TapTitles(): JSX.Element {
  const [text, setText] = createSignal<string | null>(null);
  onMount(() => {
    let touch = false;
    const onPointerDown = (e: PointerEvent): void => {
      touch = e.pointerType === 'touch' || e.pointerType === 'pen';
    };
    const onClick = (e: MouseEvent): void => {
      const target = e.target instanceof Element ? e.target : null;
      if (!target || target.closest('.tap-title')) return;
      if (!touch || target.closest(INTERACTIVE)) {
        setText(null);
        return;
      }
      const holder = target.closest('[title]');
      const title = holder?.getAttribute('title')?.trim();
      setText(title ? title : null);
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') setText(null);
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    document.addEventListener('click', onClick, true);
    document.addEventListener('keydown', onKey);
    onCleanup(() => {
      document.removeEventListener('pointerdown', onPointerDown, true);
      document.removeEventListener('click', onClick, true);
      document.removeEventListener('keydown', onKey);
    });
  });
  return (
    <div class="tap-title-region" role="status" aria-live="polite">
      <Show when={text()}>
        {(t) => (
          <div class="tap-title" data-testid="tap-title">
            <span>{t()}</span>
            <button type="button" class="icon-btn" aria-label="Close explanation" onClick={() => setText(null)}>
              ✕
            </button>
          </div>
        )}
      </Show>
    </div>
  );
}

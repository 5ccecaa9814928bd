/**
 * Scheduling for a large incident's first frame: what is not on screen when the page opens (the
 * side panels, the rest of a page of timeline rows) waits until the browser has painted the first
 * frame, and the timeline's problem check until it is idle, so the title, status and top of the
 * timeline show without waiting for them.
 */
import { createSignal, onCleanup, onMount, type Accessor } from 'solid-js';

/** How much idle time is left (a short slice where there is no requestIdleCallback). */
export type IdleDeadline = { timeRemaining(): number };

/** Run `fn` when the browser is idle (soon, where there is no requestIdleCallback); returns a cancel. */
export function whenIdle(fn: (deadline: IdleDeadline) => void, timeoutMs = 2_000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(fn, { timeout: timeoutMs });
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(() => {
    const until = Date.now() + 10;
    fn({ timeRemaining: () => Math.max(0, until - Date.now()) });
  }, 0);
  return () => clearTimeout(handle);
}

/**
 * False until the component's first frame has painted, then true (in the task right after that
 * frame: waiting for idle time could hold the side panels back while the socket syncs).
 */
export function createPainted(): Accessor<boolean> {
  const [painted, setPainted] = createSignal(false);
  onMount(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(true), 0);
    });
    onCleanup(() => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    });
  });
  return painted;
}

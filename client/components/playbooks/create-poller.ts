/**
 * Polls a server read while its owner is on screen: one load at a time (a request during a
 * load makes it go once more), the next one `intervalMs()` after the last ended (read each
 * time, so a view can poll faster while something moves), skipped while the page is hidden.
 * Stops when the owning Solid scope is disposed.
 */
import { onCleanup } from 'solid-js';

export interface Poller {
  /** Load now (or right after the load under way). */
  now(): void;
}

export function createPoller(opts: { load(): Promise<void>; intervalMs(): number }): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  const visible = (): boolean => typeof document === 'undefined' || document.visibilityState === 'visible';

  const tick = async (): Promise<void> => {
    clearTimeout(timer);
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (visible()) await opts.load().catch(() => undefined);
      } while (again && !stopped);
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(() => void tick(), opts.intervalMs());
    }
  };
  onCleanup(() => {
    stopped = true;
    clearTimeout(timer);
  });
  void tick();
  return { now: () => void tick() };
}

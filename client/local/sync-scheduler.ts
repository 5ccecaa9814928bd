/**
 * When the background sync runs: at start, right away when asked (network back, "Sync now"),
 * shortly after local edits (debounced, with a cap so steady typing still syncs), periodically,
 * and after a failure with exponential backoff. One run at a time; a request during a run
 * makes it go round once more. Timers and the clock are passed in so tests drive them.
 */

export type RunResult = 'ok' | 'failed';

export interface SchedulerDeps {
  run(): Promise<RunResult>;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  random?(): number;
  /** Quiet period between runs when all is well. */
  periodMs?: number;
  /** Wait after the last local edit. */
  editDebounceMs?: number;
  /** Longest wait after the first of a burst of edits. */
  editMaxWaitMs?: number;
  maxBackoffMs?: number;
}

export interface SyncScheduler {
  start(): void;
  stop(): void;
  /** Local edits were made: run soon (unless backing off after a failure). */
  edited(): void;
  /** Run now and forget any backoff (network back, user asked). Resolves when that run ends. */
  now(): Promise<void>;
  /** Consecutive failed runs (0 when the last run succeeded). */
  failures(): number;
  /** When the next run is due (epoch ms), or null when none is scheduled. */
  nextRunAt(): number | null;
  /** Change the quiet period (shorter while the app is on screen); applies from the next run. */
  setPeriod(ms: number): void;
}

export function backoffDelay(failures: number, maxMs: number, random: number): number {
  const base = Math.min(1_000 * 2 ** Math.max(0, failures - 1), maxMs);
  return Math.round(base * (0.75 + random * 0.5));
}

export function createSyncScheduler(deps: SchedulerDeps): SyncScheduler {
  let periodMs = deps.periodMs ?? 20_000;
  const debounceMs = deps.editDebounceMs ?? 1_500;
  const maxWaitMs = deps.editMaxWaitMs ?? 5_000;
  const maxBackoffMs = deps.maxBackoffMs ?? 60_000;
  const random = deps.random ?? Math.random;

  let stopped = true;
  let running: Promise<void> | null = null;
  let again = false;
  let failures = 0;
  let timer: unknown = null;
  let dueAt: number | null = null;
  let firstEditAt: number | null = null;

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer !== null) deps.clearTimeout(timer);
    dueAt = deps.now() + ms;
    timer = deps.setTimeout(() => {
      timer = null;
      dueAt = null;
      void kick();
    }, ms);
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    if (timer !== null) {
      deps.clearTimeout(timer);
      timer = null;
      dueAt = null;
    }
    running = (async () => {
      do {
        again = false;
        firstEditAt = null;
        let result: RunResult;
        try {
          result = await deps.run();
        } catch {
          result = 'failed';
        }
        failures = result === 'ok' ? 0 : failures + 1;
      } while (again && failures === 0 && !stopped);
    })().finally(() => {
      running = null;
      schedule(failures > 0 ? backoffDelay(failures, maxBackoffMs, random()) : periodMs);
    });
    return running;
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void kick();
    },
    stop() {
      stopped = true;
      if (timer !== null) deps.clearTimeout(timer);
      timer = null;
      dueAt = null;
    },
    edited() {
      if (stopped || failures > 0) return;
      if (running) {
        again = true;
        return;
      }
      const now = deps.now();
      firstEditAt ??= now;
      const target = Math.min(now + debounceMs, firstEditAt + maxWaitMs);
      if (dueAt === null || target < dueAt || dueAt - now <= debounceMs) schedule(Math.max(0, target - now));
    },
    now() {
      failures = 0;
      return kick();
    },
    failures: () => failures,
    nextRunAt: () => dueAt,
    setPeriod(ms) {
      periodMs = ms;
      // Bring a far-off periodic run closer; never push one back.
      if (!running && failures === 0 && dueAt !== null && dueAt - deps.now() > ms) schedule(ms);
    },
  };
}

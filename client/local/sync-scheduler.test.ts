// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, createSyncScheduler, type RunResult, type SyncScheduler } from './sync-scheduler.ts';

let results: RunResult[];
let runs: number[];
let scheduler: SyncScheduler;

function make(opts: { runMs?: number } = {}): SyncScheduler {
  return createSyncScheduler({
    run: async () => {
      runs.push(Date.now());
      if (opts.runMs) await new Promise((r) => setTimeout(r, opts.runMs));
      return results.shift() ?? 'ok';
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => 0.5,
    periodMs: 20_000,
    editDebounceMs: 1_500,
    editMaxWaitMs: 5_000,
    maxBackoffMs: 60_000,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  results = [];
  runs = [];
});
afterEach(() => {
  scheduler.stop();
  vi.useRealTimers();
});

describe('sync scheduler', () => {
  it('runs at start and then periodically', async () => {
    scheduler = make();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([0]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(runs).toEqual([0, 20_000]);
  });

  it('runs shortly after the last of a burst of edits', async () => {
    scheduler = make();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    scheduler.edited();
    await vi.advanceTimersByTimeAsync(1_000);
    scheduler.edited();
    await vi.advanceTimersByTimeAsync(1_499);
    expect(runs).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([0, 3_500]);
  });

  it('does not let steady typing postpone the sync past the max wait', async () => {
    scheduler = make();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let t = 0; t < 8_000; t += 500) {
      scheduler.edited();
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(runs[1]).toBe(5_000);
  });

  it('backs off exponentially after failures and ignores edits meanwhile', async () => {
    results = ['failed', 'failed', 'failed', 'ok'];
    scheduler = make();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.failures()).toBe(1);
    scheduler.edited();
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([0, 1_000]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toEqual([0, 1_000, 3_000]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(runs).toEqual([0, 1_000, 3_000, 7_000]);
    expect(scheduler.failures()).toBe(0);
  });

  it('caps the backoff', () => {
    expect(backoffDelay(1, 60_000, 0.5)).toBe(1_000);
    expect(backoffDelay(20, 60_000, 0.5)).toBe(60_000);
    expect(backoffDelay(20, 60_000, 1)).toBe(75_000);
  });

  it('runs at once and forgets the backoff when asked (network back)', async () => {
    results = ['failed', 'failed'];
    scheduler = make();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([0, 1_000]);
    await scheduler.now();
    expect(runs).toEqual([0, 1_000, 1_000]);
    expect(scheduler.failures()).toBe(0);
  });

  it('runs one at a time and goes round again for a request made during a run', async () => {
    scheduler = make({ runMs: 1_000 });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(100);
    void scheduler.now();
    scheduler.edited();
    expect(runs).toEqual([0]);
    await vi.advanceTimersByTimeAsync(900);
    expect(runs).toEqual([0, 1_000]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([0, 1_000]);
  });
});

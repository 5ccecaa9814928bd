import { describe, expect, it } from 'vitest';
import type { FeedRun } from '../../../shared/intel-api.ts';
import { isMoving, runOutcome, runProgress } from './feed-run-view.ts';

const run = (p: Partial<FeedRun>): FeedRun => ({
  id: '00000000-0000-4000-8000-000000000001',
  feed_id: '00000000-0000-4000-8000-000000000002',
  state: 'running',
  started_at: null,
  finished_at: null,
  parsed: 0,
  objects: 0,
  bytes_read: 0,
  bytes_total: null,
  added: 0,
  updated: 0,
  expired: 0,
  skipped: 0,
  skipped_samples: [],
  error: null,
  ...p,
});

describe('feed run display', () => {
  it('shows a fraction when the download size is known and only bytes read when not', () => {
    expect(runProgress(run({ parsed: 12_345, bytes_read: 512 * 1024, bytes_total: 2 * 1024 * 1024 }))).toEqual({
      fraction: 0.25,
      text: '12,345 parsed · 512.0 KiB of 2.0 MiB',
    });
    expect(runProgress(run({ parsed: 3, bytes_read: 900 }))).toEqual({ fraction: null, text: '3 parsed · 900 B read' });
  });

  it('tells moving runs from finished ones and states each outcome', () => {
    expect(isMoving(run({ state: 'queued' }))).toBe(true);
    expect(isMoving(run({ state: 'succeeded' }))).toBe(false);
    expect(runOutcome(run({ state: 'succeeded', added: 1200, updated: 3, expired: 40, skipped: 2 }))).toBe('1,200 added · 3 updated · 40 expired · 2 skipped');
    expect(runOutcome(run({ state: 'succeeded', objects: 1_484 }))).toBe('0 added · 0 updated · 0 expired · 1,484 objects · 0 skipped');
    expect(runProgress(run({ parsed: 0, objects: 12, bytes_read: 900 })).text).toBe('0 parsed · 12 objects · 900 B read');
    expect(runOutcome(run({ state: 'failed', error: 'truncated download' }))).toBe('Failed: truncated download. The previous data stays.');
    expect(runOutcome(run({ state: 'not_modified' }))).toBe('Not modified since the last pull.');
  });
});

/**
 * What the server starts and stops for threat intel: the feed runner (scheduler + runs) and the
 * hooks other intel parts register — the retrospective search (matching.ts) subscribes to "indicators added"
 * here, so the runner does not import the matching code.
 */
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { createFeedRunner, type FeedRunner } from './feed-runner.ts';
import type { RetroRanges } from './store.ts';

export interface IntelOptions {
  /** ALLOW_PRIVATE_FEED_URLS: pull from loopback/private addresses (labs, tests). */
  allowPrivateFeedUrls?: boolean;
  /** Run the scheduler (default true; tests turn it off and call tick()). */
  schedule?: boolean;
  /** Pull limits. */
  fetchTimeoutMs?: number;
  maxFeedBytes?: number;
  /** INTEL_PUSH_MAX_BYTES. */
  pushMaxBytes?: number;
  /** INTEL_RETRO_DAYS: the retrospective search's window (default 90). */
  retroDays?: number;
  tickMs?: number;
}

type IndicatorsAddedHook = (added: RetroRanges) => Promise<void>;

export interface IntelService {
  runner: FeedRunner;
  options: IntelOptions;
  /** Subscribe to indicators a successful feed run or push created or revived (returns an unsubscribe). */
  onIndicatorsAdded(hook: IndicatorsAddedHook): () => void;
  start(): void;
  close(): Promise<void>;
}

export function createIntelService(
  deps: { sql: Sql; logger: Logger; secret?: (name: string) => Promise<string | null> },
  options: IntelOptions = {},
): IntelService {
  const hooks = new Set<IndicatorsAddedHook>();
  const runner = createFeedRunner({
    sql: deps.sql,
    logger: deps.logger,
    secret: deps.secret,
    guard: { allowPrivate: options.allowPrivateFeedUrls ?? false, timeoutMs: options.fetchTimeoutMs, maxBytes: options.maxFeedBytes },
    tickMs: options.tickMs,
    onAdded: async (added) => {
      for (const hook of hooks) await hook(added);
    },
  });
  return {
    runner,
    options,
    onIndicatorsAdded(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    start() {
      if (options.schedule !== false) runner.start();
    },
    close: () => runner.stop(),
  };
}

/**
 * A stack of stoppers for a process's parts: each part registers its stop as soon as it has
 * started, and `stop()` runs them in reverse order, each awaited; a stop that throws is logged and
 * the rest still run. A failed start and a normal close run the same list (server/server.ts
 * `startServer`; server/server-start-failure.pg.test.ts fails a start at each stage).
 */
import type { Logger } from './logger.ts';

export interface Lifecycle {
  /** `name` has started; `stop` runs at close, before the stops of the parts started earlier. */
  started(name: string, stop: () => unknown): void;
  /** Run every registered stop, newest first; the same promise on every call. */
  stop(): Promise<void>;
}

export function createLifecycle(opts: { logger: Logger }): Lifecycle {
  const stack: { name: string; stop: () => unknown }[] = [];
  let stopping: Promise<void> | null = null;
  async function run(): Promise<void> {
    for (let part = stack.pop(); part; part = stack.pop()) {
      try {
        await part.stop();
      } catch (e) {
        opts.logger.error({ err: e, part: part.name }, 'stopping a part failed; stopping the others');
      }
    }
  }
  return {
    started(name, stop) {
      if (stopping) throw new Error(`${name} started after the stop began`);
      stack.push({ name, stop });
    },
    stop: () => (stopping ??= run()),
  };
}

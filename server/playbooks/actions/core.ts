/**
 * core.* actions for composing and testing playbooks: `core.noop` (returns its inputs; the
 * benchmark's unit of work), `core.wait` (sleeps, stopped by the step's timeout or a cancel),
 * `core.fail` (fails with a chosen error code, for retry and on_error paths).
 */
import { z } from 'zod';
import { ACTION_ERROR_CODES, ActionError, defineAction, type ActionDef, type Json } from './types.ts';

const noop = defineAction({
  name: 'core.noop',
  description: 'Do nothing; the output is the inputs.',
  input: z.record(z.string(), z.unknown()).default({}),
  effect: false,
  run: async (i) => i as Json,
});

const wait = defineAction({
  name: 'core.wait',
  description: 'Wait a number of milliseconds (at most one hour).',
  input: z.object({ ms: z.int().min(0).max(3_600_000) }).strict(),
  effect: false,
  run: (i, ctx) =>
    new Promise<Json>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(new ActionError('timeout', 'wait aborted'));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new ActionError('timeout', 'wait aborted'));
      };
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve({ waited_ms: i.ms });
      }, i.ms);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    }),
});

const fail = defineAction({
  name: 'core.fail',
  description: 'Fail with a message and error code (retryable as the code says, unless `retryable` is given).',
  input: z
    .object({
      message: z.string().min(1).max(2_000).default('failed on purpose'),
      code: z.enum(ACTION_ERROR_CODES).default('failed'),
      retryable: z.boolean().optional(),
    })
    .strict(),
  effect: false,
  run: async (i) => {
    throw new ActionError(i.code, i.message, i.retryable);
  },
});

export const CORE_ACTIONS: readonly ActionDef[] = [noop, wait, fail];

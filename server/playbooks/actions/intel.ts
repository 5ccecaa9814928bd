/**
 * intel.lookup: ask the threat-intel store (server/intel/lookup.ts, wired by the engine's
 * service) about indicator values. When a server runs without it (`services.intel` null, as in
 * some tests) the action fails with `not_configured` instead of pretending nothing matched.
 */
import { z } from 'zod';
import { ActionError, defineAction, type ActionDef } from './types.ts';

const lookup = defineAction({
  name: 'intel.lookup',
  description: 'Look up indicators (IPs, domains, URLs, hashes, e-mail addresses) in the threat-intel store.',
  input: z
    .object({
      values: z
        .union([z.string().trim().min(1).max(2_048), z.array(z.string().trim().min(1).max(2_048)).max(500)])
        .transform((v) => (Array.isArray(v) ? v : [v])),
    })
    .strict(),
  effect: false,
  run: async (i, ctx) => {
    const intel = ctx.services.intel;
    if (!intel) throw new ActionError('not_configured', 'threat-intel store not available');
    return { values: i.values, matches: await intel.lookup(i.values) };
  },
});

export const INTEL_ACTIONS: readonly ActionDef[] = [lookup];

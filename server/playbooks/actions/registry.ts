/**
 * Every action a playbook may name, by name. The loader refuses unknown actions with this list;
 * the engine checks each step's inputs with the action's schema, then runs it.
 */
import { CORE_ACTIONS } from './core.ts';
import { ENRICH_ACTIONS } from './enrich.ts';
import { httpRequest } from './http-request.ts';
import { INCIDENT_ACTIONS } from './incident.ts';
import { INTEL_ACTIONS } from './intel.ts';
import { NOTIFY_ACTIONS } from './notify.ts';
import { scriptRun } from './script-run.ts';
import { SECURITY_TOOL_ACTIONS } from './security-tools.ts';
import type { ActionDef } from './types.ts';

const ALL: readonly ActionDef[] = [
  ...INCIDENT_ACTIONS,
  ...INTEL_ACTIONS,
  ...NOTIFY_ACTIONS,
  httpRequest as unknown as ActionDef,
  scriptRun as unknown as ActionDef,
  ...SECURITY_TOOL_ACTIONS,
  ...ENRICH_ACTIONS,
  ...CORE_ACTIONS,
];

export const ACTIONS: ReadonlyMap<string, ActionDef> = new Map(ALL.map((a) => [a.name, a]));

export const actionNames = (): string[] => [...ACTIONS.keys()];

/**
 * Whether a step can act as things stand: the connector its action needs (ActionDef.connector)
 * is configured with the secret fields it needs. Checked when a gate opens (the timeline and the
 * audit entry warn before anyone is asked) and whenever approvals and runs are read, so a warning
 * disappears as soon as an admin configures the connector. A connector whose stored secrets no
 * longer open still counts as configured here; its action fails `not_configured` when it runs.
 */
import type { StepWarning } from '../../../shared/playbooks-api.ts';
import type { Sql, TransactionSql } from '../../db/connect.ts';
import { CONNECTORS } from '../actions/connector-call.ts';
import { ACTIONS } from '../actions/registry.ts';
import type { ActionDef } from '../actions/types.ts';

type Q = Sql | TransactionSql;

/** Connector name → the secret fields set, for every configured connector. */
export type ConnectorsNow = ReadonlyMap<string, readonly string[]>;

export async function connectorsNow(db: Q): Promise<ConnectorsNow> {
  const rows = await db<{ name: string; secrets_set: string[] | null }[]>`SELECT name, secrets_set FROM connector_configs`;
  return new Map(rows.map((r) => [r.name, r.secrets_set ?? []]));
}

/** The action an approval or a step names, from the registry (tests' extra actions included when given). */
export function actionOf(name: string, actions: ReadonlyMap<string, ActionDef> = ACTIONS): ActionDef | undefined {
  return actions.get(name);
}

/** What keeps the step's action from acting now, or null. */
export function stepWarning(stepId: string, action: ActionDef | undefined, connectors: ConnectorsNow): StepWarning | null {
  const name = action?.connector;
  if (!name) return null;
  const set = connectors.get(name);
  const missing = set ? (CONNECTORS[name]?.secretFields ?? []).filter((f) => !set.includes(f)) : [];
  if (set && missing.length === 0) return null;
  const why = set ? `has no ${missing.join(', ')} set` : 'is not configured';
  return {
    step_id: stepId,
    code: 'connector_not_configured',
    connector: name,
    message: `connector "${name}" ${why}, so ${action.name} cannot act until an admin configures it (Admin → Playbooks → Connectors)`,
  };
}

/**
 * The playbooks capability as the server starts it: the secret box and connector store, the
 * playbook folder loaded with the registered actions' names (refused files kept for admins),
 * the ActionServices the actions use, and the engine with its in-process worker. server.ts
 * builds one with `createPlaybooks(...)`, mounts its routes and closes it.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../../shared/sla.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { Sql } from '../../db/connect.ts';
import type { Logger } from '../../logger.ts';
import type { DocumentManager } from '../../sync/document-types.ts';
import { ACTIONS } from '../actions/registry.ts';
import type { ActionDef, ActionServices } from '../actions/types.ts';
import { createConnectorStore, type ConnectorStore } from '../connectors.ts';
import { loadPlaybooks, type LoadResult } from '../loader.ts';
import { loadSecretBox, type SecretBox } from '../secret-box.ts';
import { createPlaybookEngine, type EngineOptions, type PlaybookEngine } from './engine.ts';
import { startEventWatcher, type EventWatcher } from './events.ts';
import { createIntelLookup } from '../../intel/lookup.ts';
import { createHookRefusals, type HookRefusals } from '../hook-refusals.ts';

export interface PlaybooksOptions {
  /** Folder of playbook YAML files (default `<repo>/playbooks`). */
  dir?: string;
  /** Folder of runnable scripts (default `<repo>/scripts-repo`). */
  scriptsDir?: string;
  /** Where the secrets key file lives when `secretsKey` is not given (default ./data). */
  dataDir?: string;
  /** SECRETS_KEY (base64, 32 bytes). */
  secretsKey?: string | null;
  secretsKeyPrevious?: string | null;
  smtp?: { url: string; from: string } | null;
  fetch?: typeof fetch;
  /** Extra actions (tests); the registry's are always there. */
  extraActions?: readonly ActionDef[];
  engine?: Pick<EngineOptions, 'concurrency' | 'pollIntervalMs' | 'sweepIntervalMs' | 'sweepGraceMs' | 'coalesceSeconds'>;
  /** How often event triggers look for new incidents, status changes and correlated alerts (default 1 s). */
  eventsIntervalMs?: number;
  /** PLAYBOOK_WEBHOOK_MAX_PER_MINUTE: deliveries one playbook's webhook accepts per minute (default 60). */
  webhookMaxPerMinute?: number;
  /** PLAYBOOK_WEBHOOK_MAX_REFUSED_PER_MINUTE: refusals per playbook and address in a minute before 429 (default 10). */
  webhookMaxRefusedPerMinute?: number;
  /** How often refused deliveries of finished minutes are audited (default 15 s). */
  webhookRefusalFlushMs?: number;
}

export interface Playbooks {
  engine: PlaybookEngine;
  /** Event triggers (incident.created, incident.status_changed, alert.correlated). */
  events: EventWatcher;
  connectors: ConnectorStore;
  box: SecretBox;
  /** Deliveries one playbook's inbound webhook accepts per minute. */
  webhookMaxPerMinute: number;
  /** Refused webhook deliveries: counted, audited per playbook per minute (hook-refusals.ts). */
  hookRefusals: HookRefusals;
  /** The last load of the playbook folder. */
  catalog(): LoadResult;
  /** Load the folder again (new runs use the new definitions; runs in flight keep theirs). */
  reload(): Promise<LoadResult>;
  close(): Promise<void>;
}

/**
 * The repository root: three folders up from this file in the source tree, one up from the
 * bundle (`dist-server/main.js`) when the server runs from `npm start`.
 */
function repoRoot(): string {
  const candidates = [new URL('../../../', import.meta.url), new URL('../', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(join(dir, 'playbooks'))) ?? (candidates[0] as string);
}

export async function createPlaybooks(
  deps: { sql: Sql; databaseUrl: string; docs: DocumentManager; audit: AuditLog; logger: Logger; policy?: SlaPolicy },
  opts: PlaybooksOptions = {},
): Promise<Playbooks> {
  const { sql, logger } = deps;
  const policy = deps.policy ?? DEFAULT_SLA_POLICY;
  const dir = opts.dir ?? join(repoRoot(), 'playbooks');
  const box = await loadSecretBox({ secretsKey: opts.secretsKey, previousKey: opts.secretsKeyPrevious, dataDir: opts.dataDir ?? './data' });
  const connectors = createConnectorStore(sql, box);
  const actions = new Map<string, ActionDef>([...ACTIONS, ...(opts.extraActions ?? []).map((a) => [a.name, a] as const)]);
  const load = async (): Promise<LoadResult> => {
    try {
      const r = await loadPlaybooks(dir, actions);
      for (const f of r.refused) logger.warn({ file: f.file, problems: f.problems }, 'playbook refused');
      logger.info({ loaded: r.playbooks.length, refused: r.refused.length, dir }, 'playbooks loaded');
      return r;
    } catch (e) {
      logger.error({ err: e, dir }, 'playbook folder could not be read');
      return { playbooks: [], refused: [] };
    }
  };
  let catalog = await load();
  const services: ActionServices = {
    sql,
    docs: deps.docs,
    audit: deps.audit,
    logger,
    policy,
    connector: (name) => connectors.connector(name),
    secret: (name) => connectors.secret(name),
    scriptsDir: opts.scriptsDir ?? join(repoRoot(), 'scripts-repo'),
    smtp: opts.smtp ?? null,
    fetch: opts.fetch ?? fetch,
    intel: createIntelLookup(sql),
  };
  const engine = createPlaybookEngine({ ...deps, policy, actions, services, catalog: () => catalog, ...opts.engine });
  await engine.start();
  const events = startEventWatcher({ sql, engine, logger, intervalMs: opts.eventsIntervalMs });
  const hookRefusals = createHookRefusals(
    { sql, audit: deps.audit, logger },
    { maxRefusedPerMinute: opts.webhookMaxRefusedPerMinute, flushIntervalMs: opts.webhookRefusalFlushMs },
  );
  hookRefusals.start();
  return {
    engine,
    events,
    connectors,
    box,
    webhookMaxPerMinute: opts.webhookMaxPerMinute ?? 60,
    hookRefusals,
    catalog: () => catalog,
    async reload() {
      catalog = await load();
      return catalog;
    },
    async close() {
      await hookRefusals.stop();
      await events.stop();
      await engine.close();
    },
  };
}

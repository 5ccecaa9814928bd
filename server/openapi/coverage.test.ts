// @vitest-environment node
/**
 * The OpenAPI document covers the whole /api/v1: every route the app serves there is
 * documented, and every documented route is served (the app is built without a database; only
 * its route table is read).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createIdentity } from '../auth/identity.ts';
import { connect } from '../db/connect.ts';
import type { EvidenceService } from '../evidence/evidence-service.ts';
import type { Projector } from '../incidents/projector.ts';
import type { Playbooks } from '../playbooks/engine/service.ts';
import { createLogger } from '../logger.ts';
import { createDocumentManager } from '../sync/document-manager.ts';
import { createMemoryDocumentStore } from '../sync/memory-document-store.ts';
import { apiDocument } from './routes.ts';
import type { IntelService } from '../intel/intel-service.ts';

const logger = createLogger({ level: 'silent' });
const sql = connect('postgres://nobody@127.0.0.1:1/none', { max: 1 });
const store = createMemoryDocumentStore();
const docs = createDocumentManager({ store, logger });
const identity = createIdentity({ sql, logger, options: {}, port: 0 });
const projector = { project: async () => 'projected' } as unknown as Projector;
const evidence = {} as unknown as EvidenceService;
const playbooks = { engine: {}, connectors: {}, box: {}, catalog: () => ({ playbooks: [], refused: [] }) } as unknown as Playbooks;
const intel = { runner: {}, options: {}, onIndicatorsAdded: () => () => {} } as unknown as IntelService;
const app = createApp({ sql, docs, store, logger, identity, projector, evidence, playbooks, intel });

afterAll(async () => {
  await docs.close();
  await sql.end({ timeout: 1 });
});

/** OIDC redirects are browser flows, not JSON API routes, and are mounted only when configured. */
const NOT_API = [/^\/auth\/oidc\//];

describe('OpenAPI coverage', () => {
  it('documents every /api/v1 route the app serves, and nothing it does not serve', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL' && !r.path.endsWith('*'))
        .map((r) => `${r.method.toLowerCase()} ${r.path.slice('/api/v1'.length).replace(/:([A-Za-z]+)/g, '{$1}')}`)
        .filter((k) => !NOT_API.some((re) => re.test(k.split(' ')[1] ?? ''))),
    );
    const paths = apiDocument()['paths'] as Record<string, Record<string, unknown>>;
    const documented = new Set(Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    expect(
      [...served].filter((k) => !documented.has(k)),
      'served but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((k) => !served.has(k)),
      'documented but not served',
    ).toEqual([]);
    expect(served.size).toBeGreaterThan(40);
  });
});

/**
 * Connector configurations and named secrets: the store (table connector_configs and
 * named_secrets, migration 007; every credential sealed with the SecretBox before it is written)
 * and the admin routes (settings:manage):
 *
 *   GET    /connectors          every known connector, configured or not (secret names only)
 *   PUT    /connectors/{name}   endpoint, settings, secrets (omitted secrets keep their value)
 *   DELETE /connectors/{name}
 *   GET    /secrets             names only
 *   PUT    /secrets/{name}      { value }
 *   DELETE /secrets/{name}
 *
 * No response, log line or audit entry ever carries a secret value; audit entries name the
 * secret fields that were set.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { putConnectorBody, putSecretBody, SECRET_NAME_RE, type Connector, type PutConnectorBody } from '../../shared/playbooks-api.ts';
import { DomainError } from '../../shared/errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { actorOf } from '../audit/audit-types.ts';
import { requireAction, type AuthEnv } from '../auth/middleware.ts';
import type { Sql, TransactionSql } from '../db/connect.ts';
import { rejectInvalid } from '../http/validation.ts';
import { CONNECTORS } from './actions/connector-call.ts';
import type { ConnectorConfig } from './actions/types.ts';
import { SecretBoxError, type SecretBox } from './secret-box.ts';

type Q = Sql | TransactionSql;

interface ConnectorRow {
  name: string;
  endpoint: string | null;
  settings: Record<string, unknown>;
  secrets: Uint8Array | null;
  secrets_set: string[];
  updated_at: Date;
  updated_by: string;
}

export interface ConnectorStore {
  /** Decrypted config for an action, or null when not configured (ActionServices.connector). */
  connector(name: string): Promise<ConnectorConfig | null>;
  /** A named secret's value, or null (ActionServices.secret). */
  secret(name: string): Promise<string | null>;
  list(db?: Q): Promise<Connector[]>;
  put(name: string, body: PutConnectorBody, by: string, db?: Q): Promise<Connector>;
  remove(name: string, db?: Q): Promise<boolean>;
  listSecrets(db?: Q): Promise<{ name: string; updated_at: string; updated_by: string }[]>;
  putSecret(name: string, value: string, by: string, db?: Q): Promise<void>;
  removeSecret(name: string, db?: Q): Promise<boolean>;
}

function toConnector(name: string, row: ConnectorRow | undefined): Connector {
  const spec = CONNECTORS[name];
  return {
    name,
    description: spec?.description ?? '',
    configured: row !== undefined,
    endpoint: row?.endpoint ?? null,
    settings: row?.settings ?? {},
    secrets_set: row?.secrets_set ?? [],
    secret_fields: [...(spec?.secretFields ?? [])],
    updated_at: row?.updated_at.toISOString() ?? null,
  };
}

export function createConnectorStore(sql: Sql, box: SecretBox): ConnectorStore {
  const openSecrets = (sealed: Uint8Array | null): Record<string, string> => (sealed ? (JSON.parse(box.open(sealed)) as Record<string, string>) : {});
  /** The stored secrets a PUT keeps; if they no longer open (the key changed), every field must be sent again. */
  const keptSecrets = (name: string, row: ConnectorRow | undefined, body: PutConnectorBody): Record<string, string> => {
    try {
      return openSecrets(row?.secrets ?? null);
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      const missing = (row?.secrets_set ?? []).filter((f) => body.secrets[f] === undefined);
      if (missing.length)
        throw new DomainError(
          'conflict',
          `the stored secrets of "${name}" cannot be decrypted with the current key; send ${missing.map((f) => `secrets.${f}`).join(', ')} again`,
        );
      return {};
    }
  };
  const rowOf = async (db: Q, name: string): Promise<ConnectorRow | undefined> =>
    (await db<ConnectorRow[]>`SELECT * FROM connector_configs WHERE name = ${name}`)[0];

  return {
    async connector(name) {
      const row = await rowOf(sql, name);
      if (!row) return null;
      return { endpoint: row.endpoint, settings: row.settings, secrets: openSecrets(row.secrets) };
    },
    async secret(name) {
      const [row] = await sql<{ sealed: Uint8Array }[]>`SELECT sealed FROM named_secrets WHERE name = ${name}`;
      return row ? box.open(row.sealed) : null;
    },
    async list(db = sql) {
      const rows = await db<ConnectorRow[]>`SELECT * FROM connector_configs`;
      const byName = new Map(rows.map((r) => [r.name, r]));
      return Object.keys(CONNECTORS).map((name) => toConnector(name, byName.get(name)));
    },
    async put(name, body, by, db = sql) {
      const before = await rowOf(db, name);
      const secrets = { ...keptSecrets(name, before, body), ...body.secrets };
      const names = Object.keys(secrets).sort();
      const sealed = names.length ? box.seal(JSON.stringify(secrets)) : null;
      const [row] = await db<ConnectorRow[]>`
        INSERT INTO connector_configs (name, endpoint, settings, secrets, secrets_set, updated_at, updated_by)
        VALUES (${name}, ${body.endpoint}, ${db.json(body.settings as never)}, ${sealed}, ${names}, now(), ${by})
        ON CONFLICT (name) DO UPDATE SET endpoint = EXCLUDED.endpoint, settings = EXCLUDED.settings, secrets = EXCLUDED.secrets,
          secrets_set = EXCLUDED.secrets_set, updated_at = now(), updated_by = EXCLUDED.updated_by
        RETURNING *`;
      return toConnector(name, row);
    },
    async remove(name, db = sql) {
      return (await db`DELETE FROM connector_configs WHERE name = ${name}`).count > 0;
    },
    async listSecrets(db = sql) {
      const rows = await db<{ name: string; updated_at: Date; updated_by: string }[]>`SELECT name, updated_at, updated_by FROM named_secrets ORDER BY name`;
      return rows.map((r) => ({ name: r.name, updated_at: r.updated_at.toISOString(), updated_by: r.updated_by }));
    },
    async putSecret(name, value, by, db = sql) {
      await db`
        INSERT INTO named_secrets (name, sealed, updated_at, updated_by) VALUES (${name}, ${box.seal(value)}, now(), ${by})
        ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now(), updated_by = EXCLUDED.updated_by`;
    },
    async removeSecret(name, db = sql) {
      return (await db`DELETE FROM named_secrets WHERE name = ${name}`).count > 0;
    },
  };
}

export interface ConnectorRouteDeps {
  sql: Sql;
  store: ConnectorStore;
  audit: AuditLog;
}

const connectorParam = z.object({ name: z.string().min(1).max(64) });
const secretParam = z.object({ name: z.string().regex(SECRET_NAME_RE, 'a letter, then letters, digits or _ (at most 64)') });

function knownConnector(name: string): void {
  if (!Object.hasOwn(CONNECTORS, name)) throw new DomainError('not_found', `no connector "${name}"; known: ${Object.keys(CONNECTORS).join(', ')}`);
}

export function createConnectorRoutes({ sql, store, audit }: ConnectorRouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.get('/connectors', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json({ items: await store.list() });
  });

  app.put('/connectors/:name', zValidator('param', connectorParam, rejectInvalid), zValidator('json', putConnectorBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { name } = c.req.valid('param');
    knownConnector(name);
    const body = c.req.valid('json');
    const fields = (CONNECTORS[name]?.secretFields ?? []) as readonly string[];
    const unknown = Object.keys(body.secrets).filter((f) => !fields.includes(f));
    if (unknown.length) throw new DomainError('bad_request', `secrets.${unknown[0]}: not a secret field of "${name}" (fields: ${fields.join(', ')})`);
    const connector = await sql.begin(async (tx) => {
      const out = await store.put(name, body, p.name, tx);
      await audit.append(
        [
          {
            actor: actorOf(p),
            action: 'connector.update',
            targetType: 'connector',
            targetId: name,
            details: { endpoint: body.endpoint, settings: body.settings, secrets_changed: Object.keys(body.secrets).sort() },
          },
        ],
        tx,
      );
      return out;
    });
    return c.json(connector);
  });

  app.delete('/connectors/:name', zValidator('param', connectorParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { name } = c.req.valid('param');
    knownConnector(name);
    await sql.begin(async (tx) => {
      if (!(await store.remove(name, tx))) throw new DomainError('not_found', `connector "${name}" is not configured`);
      await audit.append([{ actor: actorOf(p), action: 'connector.delete', targetType: 'connector', targetId: name }], tx);
    });
    return c.body(null, 204);
  });

  app.get('/secrets', async (c) => {
    requireAction(c, 'settings:manage');
    return c.json({ items: await store.listSecrets() });
  });

  app.put('/secrets/:name', zValidator('param', secretParam, rejectInvalid), zValidator('json', putSecretBody, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { name } = c.req.valid('param');
    await sql.begin(async (tx) => {
      await store.putSecret(name, c.req.valid('json').value, p.name, tx);
      // The digest is over the name only: a hash of a low-entropy secret could be guessed.
      await audit.append([{ actor: actorOf(p), action: 'secret.update', targetType: 'secret', targetId: name, details: { name } }], tx);
    });
    return c.body(null, 204);
  });

  app.delete('/secrets/:name', zValidator('param', secretParam, rejectInvalid), async (c) => {
    const p = requireAction(c, 'settings:manage');
    const { name } = c.req.valid('param');
    await sql.begin(async (tx) => {
      if (!(await store.removeSecret(name, tx))) throw new DomainError('not_found', `no secret "${name}"`);
      await audit.append([{ actor: actorOf(p), action: 'secret.delete', targetType: 'secret', targetId: name, details: { name } }], tx);
    });
    return c.body(null, 204);
  });

  return app;
}

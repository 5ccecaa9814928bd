// @vitest-environment node
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './db/test-database.ts';
import { masterKey } from './evidence/keys.ts';
import { keyIdOf } from './playbooks/secret-box.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

const key = (): string => randomBytes(32).toString('base64');
let db: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'key-rotation-'));
});
afterAll(async () => {
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A server on the shared database and data folder with these keys; stopped after `fn`. */
async function withServer<T>(
  keys: { evidence: string; evidencePrevious?: string; secrets: string; secretsPrevious?: string },
  fn: (ts: TestServer) => Promise<T>,
): Promise<T> {
  const ts = await startTestServer({
    db,
    dataDir,
    evidence: { key: keys.evidence, previousKey: keys.evidencePrevious },
    playbooks: { secretsKey: keys.secrets, secretsKeyPrevious: keys.secretsPrevious },
  });
  try {
    return await fn(ts);
  } finally {
    await ts.server.close();
  }
}

const sealedKeyIds = async (): Promise<string[]> => {
  const rows = await db.sql<{ sealed: Buffer }[]>`
    SELECT secrets AS sealed FROM connector_configs UNION ALL SELECT sealed FROM named_secrets UNION ALL SELECT sealed FROM playbook_webhook_secrets`;
  return [...new Set(rows.map((r) => keyIdOf(r.sealed) ?? '?'))];
};

describe('key rotation', () => {
  it('EV9, PB22: a restart with the new keys and the old ones as *_PREVIOUS moves every data key and secret; afterwards the new keys alone read everything', async () => {
    const oldEvidence = key();
    const newEvidence = key();
    const oldSecrets = key();
    const newSecrets = key();
    const file = randomBytes(50_000);
    const sha256 = createHash('sha256').update(file).digest('hex');
    let incidentId = '';
    let evidenceId = '';
    let hookSecret = '';

    // Before: a stored file, a connector credential, a named secret and a webhook secret.
    await withServer({ evidence: oldEvidence, secrets: oldSecrets }, async (ts) => {
      const inc = await ts.fetch('/api/v1/incidents', { method: 'POST', json: { title: 'rotation case', category: 'malware' } });
      incidentId = ((await inc.json()) as { id: string }).id;
      const form = new FormData();
      form.set(
        'metadata',
        JSON.stringify({ type: 'log', file_name: 'auth.log', collected_at: '2026-11-20T10:00:00Z', size: file.length, sha256, upload_key: 'rotation-1' }),
      );
      form.set('file', new Blob([file]), 'auth.log');
      const stored = await ts.fetch(`/api/v1/incidents/${incidentId}/evidence`, { method: 'POST', body: form, headers: { origin: ts.server.url } });
      expect(stored.status).toBe(201);
      evidenceId = ((await stored.json()) as { id: string }).id;
      expect(
        (await ts.fetch('/api/v1/connectors/firewall', { method: 'PUT', json: { endpoint: 'https://fw.example/api', secrets: { api_key: 'fw-key-1' } } }))
          .status,
      ).toBe(200);
      expect((await ts.fetch('/api/v1/secrets/DLP_TOKEN', { method: 'PUT', json: { value: 'dlp-token-2' } })).status).toBe(204);
      const hook = await ts.fetch('/api/v1/workflows/data-exfiltration/webhook-secret', { method: 'POST' });
      expect(hook.status).toBe(200);
      hookSecret = ((await hook.json()) as { secret: string }).secret;
    });
    const oldSecretIds = await sealedKeyIds();
    expect(oldSecretIds).toHaveLength(1);

    // The rotation: new keys, old ones as previous. The server moves everything at start.
    await withServer({ evidence: newEvidence, evidencePrevious: oldEvidence, secrets: newSecrets, secretsPrevious: oldSecrets }, async (ts) => {
      const report = await ts.server.keyRotation;
      expect(report?.evidence).toMatchObject({ blobs: 1, unknownKeys: [], keyId: masterKey(Buffer.from(newEvidence, 'base64')).id });
      expect(report?.secrets).toMatchObject({ resealed: 3, unknownKeys: [] });
      const audited = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'keys.rotated'`;
      expect(audited[0]?.n).toBe(1);
    });
    const [left] = await db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM evidence_blobs WHERE key_id <> ${masterKey(Buffer.from(newEvidence, 'base64')).id}`;
    expect(left?.n).toBe(0);
    const newSecretIds = await sealedKeyIds();
    expect(newSecretIds).toHaveLength(1);
    expect(newSecretIds).not.toEqual(oldSecretIds);

    // The new keys alone: the file downloads unchanged, every secret opens, nothing more to move.
    await withServer({ evidence: newEvidence, secrets: newSecrets }, async (ts) => {
      const report = await ts.server.keyRotation;
      expect(report).toMatchObject({ evidence: { blobs: 0, uploads: 0, unknownKeys: [] }, secrets: { resealed: 0, unknownKeys: [] } });
      const r = await ts.fetch(`/api/v1/incidents/${incidentId}/evidence/${evidenceId}/content?reason=rotation+check`);
      expect(r.status).toBe(200);
      expect(
        createHash('sha256')
          .update(Buffer.from(await r.arrayBuffer()))
          .digest('hex'),
      ).toBe(sha256);
      expect((await ts.server.playbooks.connectors.connector('firewall'))?.secrets).toEqual({ api_key: 'fw-key-1' });
      expect(await ts.server.playbooks.connectors.secret('DLP_TOKEN')).toBe('dlp-token-2');
      const [hook] = await db.sql<{ sealed: Buffer }[]>`SELECT sealed FROM playbook_webhook_secrets WHERE playbook_id = 'data-exfiltration'`;
      expect(ts.server.playbooks.box.open(hook?.sealed ?? Buffer.alloc(0))).toBe(hookSecret);
    });

    // A server started with the wrong keys says so at start, naming the keys it lacks.
    await withServer({ evidence: key(), secrets: key() }, async (ts) => {
      const report = await ts.server.keyRotation;
      expect(report?.evidence.unknownKeys).toEqual([masterKey(Buffer.from(newEvidence, 'base64')).id]);
      expect(report?.secrets.unknownKeys).toEqual(newSecretIds);
    });
  });
});

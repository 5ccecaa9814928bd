/**
 * Evidence keys: the master key (EVIDENCE_KEY, base64 of 32 bytes, or `<DATA_DIR>/evidence.key`
 * created on first start with mode 0600; loaded by server/keys/master-key.ts) and the random
 * per-file data keys it wraps with AES-256-GCM. Each wrapped key records the id of the master key that wrapped it, so a new master
 * key only re-wraps the data keys (`rewrapDataKeys`); the content is never re-encrypted.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../db/connect.ts';
import type { Logger } from '../logger.ts';
import { decodeMasterKey, loadMasterKey } from '../keys/master-key.ts';

const KEY_BYTES = 32;
const WRAP_AAD = Buffer.from('sentpilot evidence data key v1');

export interface MasterKey {
  /** First 16 hex digits of SHA-256 of the key: names the key without revealing it. */
  id: string;
  key: Buffer;
}

/** The current master key wraps new data keys; older ones still unwrap (until re-wrapped). */
export interface Keyring {
  current: MasterKey;
  byId: ReadonlyMap<string, MasterKey>;
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES) throw new Error(`an evidence master key is ${KEY_BYTES} bytes (got ${key.length})`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function keyringOf(current: MasterKey, older: readonly MasterKey[] = []): Keyring {
  return { current, byId: new Map([...older, current].map((k) => [k.id, k])) };
}

/** A master key from its base64 (`name` is what errors call it: a variable or a path). */
export function parseKey(base64: string, name: string): MasterKey {
  return masterKey(decodeMasterKey(base64, name));
}

/**
 * The master key from `envKey` (EVIDENCE_KEY) or `<dataDir>/evidence.key`, creating that file
 * (0600) on first start (server/keys/master-key.ts, safe when several processes start at once).
 * `previous` (EVIDENCE_KEY_PREVIOUS) keeps a rotated-out key usable.
 */
export async function loadKeyring(opts: { dataDir: string; envKey?: string; previous?: string; logger: Logger }): Promise<Keyring> {
  const keys = await loadMasterKey({
    envName: 'EVIDENCE_KEY',
    envKey: opts.envKey,
    previousName: 'EVIDENCE_KEY_PREVIOUS',
    previousKey: opts.previous,
    dataDir: opts.dataDir,
    fileName: 'evidence.key',
    logger: opts.logger,
    label: 'the evidence master key',
    protects: 'stored evidence',
  });
  return keyringOf(masterKey(keys.current), keys.previous.map(masterKey));
}

export const newDataKey = (): Buffer => randomBytes(KEY_BYTES);

/** nonce(12) ‖ ciphertext(32) ‖ tag(16) */
export function wrapKey(master: MasterKey, dataKey: Buffer): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master.key, nonce);
  c.setAAD(WRAP_AAD);
  return Buffer.concat([nonce, c.update(dataKey), c.final(), c.getAuthTag()]);
}

export function unwrapKey(ring: Keyring, keyId: string, wrapped: Uint8Array): Buffer {
  const master = ring.byId.get(keyId);
  if (!master) throw new Error(`evidence master key ${keyId} is not configured (set EVIDENCE_KEY_PREVIOUS to it, then re-wrap)`);
  const w = Buffer.from(wrapped);
  const d = createDecipheriv('aes-256-gcm', master.key, w.subarray(0, 12));
  d.setAAD(WRAP_AAD);
  d.setAuthTag(w.subarray(w.length - 16));
  return Buffer.concat([d.update(w.subarray(12, w.length - 16)), d.final()]);
}

/**
 * Re-wrap every data key not wrapped by the ring's current key (blobs and open uploads), each
 * in its own short statement; safe to run again after an interruption, and by several servers at
 * once (each UPDATE applies only while the row still has the key it read). Rows wrapped by a key
 * the ring does not hold are left as they are and named in `unknownKeys`. Returns how many moved.
 */
export async function rewrapDataKeys(sql: Sql, ring: Keyring): Promise<{ blobs: number; uploads: number; unknownKeys: string[] }> {
  const cur = ring.current;
  const unknown = new Set<string>();
  const rewrap = (keyId: string, wrapped: Uint8Array): Buffer | null => {
    if (!ring.byId.has(keyId)) {
      unknown.add(keyId);
      return null;
    }
    return wrapKey(cur, unwrapKey(ring, keyId, wrapped));
  };
  let blobs = 0;
  let uploads = 0;
  const oldBlobs = await sql<{ sha256: string; key_id: string; wrapped_key: Buffer }[]>`
    SELECT sha256, key_id, wrapped_key FROM evidence_blobs WHERE key_id <> ${cur.id}`;
  for (const b of oldBlobs) {
    const wrapped = rewrap(b.key_id, b.wrapped_key);
    if (!wrapped) continue;
    const r = await sql`UPDATE evidence_blobs SET key_id = ${cur.id}, wrapped_key = ${wrapped} WHERE sha256 = ${b.sha256} AND key_id = ${b.key_id}`;
    blobs += r.count;
  }
  const oldUploads = await sql<{ id: string; key_id: string; wrapped_key: Buffer }[]>`
    SELECT id, key_id, wrapped_key FROM evidence_uploads WHERE key_id <> ${cur.id}`;
  for (const u of oldUploads) {
    const wrapped = rewrap(u.key_id, u.wrapped_key);
    if (!wrapped) continue;
    const r = await sql`UPDATE evidence_uploads SET key_id = ${cur.id}, wrapped_key = ${wrapped} WHERE id = ${u.id} AND key_id = ${u.key_id}`;
    uploads += r.count;
  }
  return { blobs, uploads, unknownKeys: [...unknown] };
}

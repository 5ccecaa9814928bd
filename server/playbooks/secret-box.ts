/**
 * Encryption at rest for connector credentials and named secrets: an AES-256-GCM envelope with
 * a random 96-bit IV and the 128-bit auth tag, so a changed byte (or the wrong key) is detected
 * instead of decrypting to garbage. The sealed form carries the key id, so keys can be rotated:
 * a box holds one current key (used to seal) and any older keys (still able to open).
 *
 * Layout: `"SB1" | key-id length (1 byte) | key id (utf-8) | IV (12) | tag (16) | ciphertext`.
 * The header bytes are authenticated data, so a swapped key id is detected too.
 *
 * The master key comes from `SECRETS_KEY` (base64, 32 bytes) or from `<DATA_DIR>/secrets.key`,
 * created on first start with mode 0600; its id is a fingerprint of the key (never the key).
 * Rotation: set the new key as `SECRETS_KEY` and the old one as the previous key; the server
 * re-seals every stored value with the new key at start (server/key-rotation.ts).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { loadMasterKey, MASTER_KEY_BYTES, MasterKeyError } from '../keys/master-key.ts';
import type { Logger } from '../logger.ts';

const MAGIC = Buffer.from('SB1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = MASTER_KEY_BYTES;

export interface SecretKey {
  /** Short label stored with each sealed value (which key to open it with). */
  id: string;
  key: Uint8Array;
}

export interface SecretBox {
  /** The id of the key new values are sealed with. */
  readonly keyId: string;
  seal(plaintext: string): Uint8Array;
  /** Throws SecretBoxError when the value was changed or its key is not known. */
  open(sealed: Uint8Array): string;
  /** Whether the box can open the key id (the current key or a previous one). */
  knows(keyId: string): boolean;
}

/** The id of the key a sealed value was sealed with (null when it is not a sealed value). */
export function keyIdOf(sealed: Uint8Array): string | null {
  const buf = Buffer.from(sealed);
  if (buf.length < MAGIC.length + 1 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const idLen = buf[MAGIC.length] as number;
  if (buf.length < MAGIC.length + 1 + idLen) return null;
  return buf.subarray(MAGIC.length + 1, MAGIC.length + 1 + idLen).toString('utf8');
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** A box sealing with `current` and opening with it or any of `previous`. */
export function createSecretBox(current: SecretKey, previous: readonly SecretKey[] = []): SecretBox {
  const keys = new Map<string, Uint8Array>();
  for (const k of [current, ...previous]) {
    if (k.key.length !== KEY_BYTES) throw new SecretBoxError(`secret key "${k.id}" must be ${KEY_BYTES} bytes, got ${k.key.length}`);
    if (!k.id || Buffer.byteLength(k.id) > 255) throw new SecretBoxError('secret key id must be 1–255 bytes');
    keys.set(k.id, k.key);
  }
  return {
    keyId: current.id,
    knows: (keyId) => keys.has(keyId),
    seal(plaintext) {
      const header = Buffer.concat([MAGIC, Buffer.from([Buffer.byteLength(current.id)]), Buffer.from(current.id)]);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(header);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      const buf = Buffer.from(sealed);
      if (buf.length < MAGIC.length + 1 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new SecretBoxError('not a sealed secret');
      const idLen = buf[MAGIC.length] as number;
      const headerLen = MAGIC.length + 1 + idLen;
      if (buf.length < headerLen + IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed secret is truncated');
      const id = buf.subarray(MAGIC.length + 1, headerLen).toString('utf8');
      const key = keys.get(id);
      if (!key) throw new SecretBoxError(`sealed with unknown key "${id}"`);
      const iv = buf.subarray(headerLen, headerLen + IV_BYTES);
      const tag = buf.subarray(headerLen + IV_BYTES, headerLen + IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(buf.subarray(0, headerLen));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(buf.subarray(headerLen + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('sealed secret failed authentication (changed, or the wrong key)');
      }
    },
  };
}

/** A short fingerprint of a key (to tell keys apart in logs without revealing them). */
const keyFingerprint = (key: Uint8Array): string => createHash('sha256').update(key).digest('hex').slice(0, 12);

/** A key labelled by its fingerprint: the same key has the same id wherever it came from. */
const keyOf = (key: Uint8Array): SecretKey => ({ id: `k-${keyFingerprint(key)}`, key });

/** A bad key surfaces as a SecretBoxError, as it always has. */
function boxError(e: unknown): never {
  throw e instanceof MasterKeyError ? new SecretBoxError(e.message) : e;
}

/**
 * The server's box: `SECRETS_KEY` when set, else `<dataDir>/secrets.key` (created, 0600), through
 * the one master-key loader (server/keys/master-key.ts: several processes starting at once on a
 * fresh data folder agree on one key). `previousKey` (e.g. `SECRETS_KEY_PREVIOUS`) still opens
 * values sealed before a rotation.
 */
export async function loadSecretBox(opts: { secretsKey?: string | null; previousKey?: string | null; dataDir: string; logger?: Logger }): Promise<SecretBox> {
  const keys = await loadMasterKey({
    envName: 'SECRETS_KEY',
    envKey: opts.secretsKey,
    previousName: 'SECRETS_KEY_PREVIOUS',
    previousKey: opts.previousKey,
    dataDir: opts.dataDir,
    fileName: 'secrets.key',
    logger: opts.logger,
    label: 'the secrets key',
    protects: 'stored connector credentials and secrets',
  }).catch(boxError);
  return createSecretBox(keyOf(keys.current), keys.previous.map(keyOf));
}

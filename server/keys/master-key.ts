/**
 * The one master-key loader, used by the evidence keyring (EVIDENCE_KEY, `evidence.key`) and the
 * secret box (SECRETS_KEY, `secrets.key`): the key from the environment when it is set, else a
 * 0600 file under DATA_DIR, created on first start; plus an optional previous key, still usable
 * for what it protected before a rotation.
 *
 * Several processes may start at once on a fresh data folder, and they must agree on one key.
 * The file is therefore never written in place: a process writes its candidate key to a private
 * temporary file, then `link()`s it to the key file's name, which fails with EEXIST when another
 * process got there first — the losing process reads the winner's key. The key file appears whole
 * or not at all, so nobody can read a half-written key. (On a filesystem without hard links the
 * file is created with O_EXCL instead, which still never overwrites another process's key.)
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';

export const MASTER_KEY_BYTES = 32;

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Decode a base64 key of 32 bytes; the error names `name` (a variable or a path), never the value. */
export function decodeMasterKey(base64: string, name: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) throw new MasterKeyError(`${name} must be base64 of ${MASTER_KEY_BYTES} bytes (got ${key.length} bytes)`);
  return key;
}

export interface MasterKeySpec {
  /** The environment variable's name, for messages (e.g. `SECRETS_KEY`). */
  envName: string;
  /** Its value (base64 of 32 bytes); unset or empty = the key file. */
  envKey?: string | null;
  /** The previous key's variable, for messages (e.g. `SECRETS_KEY_PREVIOUS`). */
  previousName: string;
  previousKey?: string | null;
  /** The data folder (created when missing) and the key file's name in it. */
  dataDir: string;
  fileName: string;
  /** Told when a key file is created (it must be backed up). */
  logger?: Logger;
  /** The creation warning's words: the key (`the evidence master key`) and what it protects (`stored evidence`). */
  label: string;
  protects: string;
}

export interface MasterKeys {
  current: Buffer;
  /** The previous key when one is configured (empty otherwise). */
  previous: Buffer[];
  /** Where the current key came from; `created` = this process made the key file. */
  source: 'env' | 'file' | 'created';
  /** The key file (null when the key came from the environment). */
  path: string | null;
}

/** Errors for which a filesystem cannot make hard links (the O_EXCL fallback is used there). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

async function readKeyFile(path: string): Promise<Buffer | null> {
  try {
    return decodeMasterKey(await readFile(path, 'utf8'), path);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Put `key` at `path` unless a key is there already; returns the key that is there afterwards
 * and whether it is ours.
 */
async function createKeyFile(path: string, key: Buffer): Promise<{ key: Buffer; created: boolean }> {
  const text = `${key.toString('base64')}\n`;
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // The umask can only remove bits; this makes sure no other bits were inherited either.
    await chmod(tmp, 0o600);
    await link(tmp, path);
    return { key, created: true };
  } catch (e) {
    if (errCode(e) === 'EEXIST') return { key: await existingKey(path), created: false };
    if (!NO_LINKS.has(errCode(e) ?? '')) throw e;
    try {
      await writeFile(path, text, { mode: 0o600, flag: 'wx' });
      return { key, created: true };
    } catch (w) {
      if (errCode(w) !== 'EEXIST') throw w;
      return { key: await existingKey(path), created: false };
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function existingKey(path: string): Promise<Buffer> {
  const key = await readKeyFile(path);
  if (!key) throw new MasterKeyError(`${path} was created by another process and then removed`);
  return key;
}

/** The current key (environment, else the key file, created on first start) and the previous one. */
export async function loadMasterKey(spec: MasterKeySpec): Promise<MasterKeys> {
  const previous = spec.previousKey ? [decodeMasterKey(spec.previousKey, spec.previousName)] : [];
  if (spec.envKey) return { current: decodeMasterKey(spec.envKey, spec.envName), previous, source: 'env', path: null };
  const path = join(spec.dataDir, spec.fileName);
  const found = await readKeyFile(path);
  if (found) return { current: found, previous, source: 'file', path };
  await mkdir(spec.dataDir, { recursive: true });
  const made = await createKeyFile(path, randomBytes(MASTER_KEY_BYTES));
  if (made.created) {
    spec.logger?.warn({ path }, `created ${spec.label}: back it up, without it ${spec.protects} cannot be read`);
  }
  return { current: made.key, previous, source: made.created ? 'created' : 'file', path };
}

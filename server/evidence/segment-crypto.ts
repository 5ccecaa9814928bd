/**
 * Evidence at rest: AES-256-GCM in segments of 1 MiB plaintext (a STREAM-like construction). Each
 * segment is nonce(12) ‖ ciphertext ‖ tag(16) with a fresh random nonce, and its additional data
 * binds the file's SHA-256 (as declared at upload), its index and whether it is the last one, so
 * reordering, dropping, truncating or extending segments, or pointing an item at another stored
 * file, fails authentication just like altering a byte. Reading decrypts one segment at a time
 * (bounded memory) and throws `IntegrityError` at the first segment that does not verify, before
 * any of its bytes are handed out.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

export const SEGMENT = 1024 * 1024;
const NONCE = 12;
const TAG = 16;
const OVERHEAD = NONCE + TAG;
export const DISK_SEGMENT = SEGMENT + OVERHEAD;

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** A file's data key and what its segments are bound to (the content's SHA-256). */
export interface FileKey {
  key: Buffer;
  bind: Buffer;
}

export const fileKey = (key: Buffer, sha256Hex: string): FileKey => ({ key, bind: Buffer.from(sha256Hex, 'hex') });

function segmentAad(k: FileKey, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(k.bind.length + 9);
  k.bind.copy(aad);
  aad.writeBigUInt64BE(BigInt(index), k.bind.length);
  aad[k.bind.length + 8] = final ? 1 : 0;
  return aad;
}

/**
 * Encrypt with additional data `aad`, as its three parts (nonce, ciphertext, tag) for a vectored
 * write: joining them would copy every segment once more and double the garbage per segment.
 */
function sealParts(key: Buffer, plain: Uint8Array, aad: Buffer): [Buffer, Buffer, Buffer] {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const body = c.update(plain);
  c.final(); // GCM is a stream mode: final() emits nothing, it computes the tag.
  return [nonce, body, c.getAuthTag()];
}

/** Encrypt with additional data `aad`: nonce ‖ ciphertext ‖ tag. */
export const seal = (key: Buffer, plain: Uint8Array, aad: Buffer): Buffer => Buffer.concat(sealParts(key, plain, aad));

/** Decrypt a `seal` output; throws IntegrityError when it does not verify. */
export function unseal(key: Buffer, sealed: Uint8Array, aad: Buffer, what: string): Buffer {
  if (sealed.length < OVERHEAD) throw new IntegrityError(`${what}: too short`);
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, NONCE));
  d.setAAD(aad);
  d.setAuthTag(b.subarray(b.length - TAG));
  const plain = d.update(b.subarray(NONCE, b.length - TAG));
  try {
    d.final(); // verifies the tag; emits nothing in GCM
  } catch {
    throw new IntegrityError(`${what}: authentication failed (altered, reordered or from another file)`);
  }
  return plain;
}

/** A segment's sealed parts (nonce, ciphertext, tag), `DISK_SEGMENT` bytes in all for a full one. */
export const sealSegment = (k: FileKey, index: number, final: boolean, plain: Uint8Array): [Buffer, Buffer, Buffer] =>
  sealParts(k.key, plain, segmentAad(k, index, final));

/** Segments of a `size`-byte plaintext (an empty file is one empty final segment). */
const segmentCount = (size: number): number => (size === 0 ? 1 : Math.ceil(size / SEGMENT));

/** The encrypted file's exact length for a `size`-byte plaintext. */
export const encryptedSize = (size: number): number => size + segmentCount(size) * OVERHEAD;

/**
 * Decrypt a stored file of `size` plaintext bytes: yields plaintext one
 * segment at a time; throws IntegrityError on any mismatch (including a wrong length).
 */
export async function* decryptFile(path: string, k: FileKey, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size: onDisk } = await fh.stat();
    if (onDisk !== encryptedSize(size)) throw new IntegrityError(`stored file is ${onDisk} bytes, expected ${encryptedSize(size)} (truncated or extended)`);
    const count = segmentCount(size);
    const buf = Buffer.allocUnsafe(DISK_SEGMENT);
    let position = 0;
    for (let i = 0; i < count; i++) {
      const final = i === count - 1;
      const len = final ? onDisk - position : DISK_SEGMENT;
      const { bytesRead } = await fh.read(buf, 0, len, position);
      if (bytesRead !== len) throw new IntegrityError(`segment ${i}: short read`);
      position += len;
      yield unseal(k.key, buf.subarray(0, len), segmentAad(k, i, final), `segment ${i}`);
    }
  } finally {
    await fh.close();
  }
}

/** Decrypt the first `count` non-final segments of an upload's part file. */
export async function* decryptSegments(path: string, k: FileKey, count: number): AsyncGenerator<Buffer> {
  if (count === 0) return;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(DISK_SEGMENT);
    for (let i = 0; i < count; i++) {
      const { bytesRead } = await fh.read(buf, 0, DISK_SEGMENT, i * DISK_SEGMENT);
      if (bytesRead !== DISK_SEGMENT) throw new IntegrityError(`upload segment ${i}: short read`);
      yield unseal(k.key, buf, segmentAad(k, i, false), `upload segment ${i}`);
    }
  } finally {
    await fh.close();
  }
}

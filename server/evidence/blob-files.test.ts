// @vitest-environment node
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBlobFiles, Hashes, type BlobFiles } from './blob-files.ts';
import { keyringOf, masterKey, unwrapKey, wrapKey } from './keys.ts';
import { DISK_SEGMENT, encryptedSize, fileKey, IntegrityError, SEGMENT } from './segment-crypto.ts';

let dir: string;
let files: BlobFiles;
const key = fileKey(randomBytes(32), 'ab'.repeat(32));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evidence-files-'));
  files = await createBlobFiles(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* pieces(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(fileId: string, size: number): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of files.read(fileId, key, size)) out.push(Buffer.from(b));
  return Buffer.concat(out);
}

/** Upload `data` in chunks of `chunk` bytes (each streamed in 7,000-byte pieces), then finish it. */
async function store(id: string, data: Buffer, chunk: number): Promise<Hashes | null> {
  let hashes: Hashes | null = Hashes.start();
  for (let at = 0; at < data.length || (at === 0 && data.length === 0); at += chunk) {
    const r = await files.appendChunk(id, key, at, pieces(data.subarray(at, at + chunk), 7_000), chunk, hashes);
    expect(r.ok).toBe(true);
    hashes = r.hashes;
    if (data.length === 0) break;
  }
  await files.finish(id, key, `${id}-blob`);
  return hashes;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('encrypted evidence files', () => {
  it('gives back the same bytes for sizes around segment boundaries, chunked unevenly', async () => {
    for (const size of [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 12_345]) {
      const data = randomBytes(size);
      const hashes = await store(`u${size}`, data, 300_001);
      expect((await hashes?.digest())?.sha256).toBe(sha(data));
      expect((await stat(files.blobPath(`u${size}-blob`))).size).toBe(encryptedSize(size));
      expect(sha(await readAll(`u${size}-blob`, size))).toBe(sha(data));
    }
  });

  it('EV7: keeps nothing readable on disk, partial uploads included', async () => {
    const data = Buffer.alloc(3 * SEGMENT, 'SECRET-PLAINTEXT ');
    const r = await files.appendChunk('p', key, 0, pieces(data.subarray(0, 2 * SEGMENT + 10), 65_536), 4 * SEGMENT, null);
    expect(r.ok).toBe(true);
    for (const name of await readdir(join(dir, 'uploads'))) {
      expect((await readFile(join(dir, 'uploads', name))).includes('SECRET-PLAINTEXT')).toBe(false);
    }
  });

  it('EV7: detects an altered byte, swapped segments and truncation', async () => {
    const size = 3 * SEGMENT + 5;
    await store('t', randomBytes(size), 2 * SEGMENT);
    const path = files.blobPath('t-blob');
    const original = await readFile(path);

    const flipped = Buffer.from(original);
    flipped[DISK_SEGMENT + 100] = (flipped[DISK_SEGMENT + 100] ?? 0) ^ 1;
    await writeFile(path, flipped);
    await expect(readAll('t-blob', size)).rejects.toThrow(/segment 1: authentication failed/);

    const swapped = Buffer.concat([original.subarray(DISK_SEGMENT, 2 * DISK_SEGMENT), original.subarray(0, DISK_SEGMENT), original.subarray(2 * DISK_SEGMENT)]);
    await writeFile(path, swapped);
    await expect(readAll('t-blob', size)).rejects.toThrow(/segment 0: authentication failed/);

    // Another item's key context (its SHA-256) does not open this file.
    await writeFile(path, original);
    const other = { key: key.key, bind: Buffer.from('cd'.repeat(32), 'hex') };
    await expect(
      (async () => {
        for await (const _ of files.read('t-blob', other, size)) break;
      })(),
    ).rejects.toThrow(/segment 0: authentication failed/);

    // Cut after three whole segments and claim that was the whole file: the last is not final.
    await writeFile(path, original.subarray(0, 3 * DISK_SEGMENT));
    await expect(readAll('t-blob', 3 * SEGMENT)).rejects.toBeInstanceOf(IntegrityError);
    await expect(readAll('t-blob', size)).rejects.toThrow(/truncated or extended/);
  });

  it('EV1: refuses a chunk at the wrong offset and names where the upload continues', async () => {
    const data = randomBytes(1_000);
    await files.appendChunk('o', key, 0, pieces(data, 100), 10_000, null);
    const r = await files.appendChunk('o', key, 500, pieces(data, 100), 10_000, null);
    expect(r).toMatchObject({ ok: false, reason: 'offset', offset: 1_000 });
    expect(await files.uploadOffset('o', key)).toBe(1_000);
  });

  it('EV1, EV3: resumes after a chunk was cut off: only committed bytes count, and rehashing matches', async () => {
    const data = randomBytes(3 * SEGMENT);
    await files.appendChunk('r', key, 0, pieces(data.subarray(0, SEGMENT + 7), 65_536), 4 * SEGMENT, null);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield data.subarray(SEGMENT + 7, 2 * SEGMENT + 50);
      throw new Error('connection reset');
    }
    await expect(files.appendChunk('r', key, SEGMENT + 7, broken(), 4 * SEGMENT, null)).rejects.toThrow('connection reset');
    expect(await files.uploadOffset('r', key)).toBe(SEGMENT + 7);
    const r = await files.appendChunk('r', key, SEGMENT + 7, pieces(data.subarray(SEGMENT + 7), 65_536), 4 * SEGMENT, null);
    expect(r).toMatchObject({ ok: true, offset: data.length });
    expect(await (await files.rehash('r', key)).digest()).toEqual({
      sha256: sha(data),
      md5: createHash('md5').update(data).digest('hex'),
      sha1: createHash('sha1').update(data).digest('hex'),
    });
    await files.finish('r', key, 'r-blob');
    expect(sha(await readAll('r-blob', data.length))).toBe(sha(data));
  });

  it('refuses more bytes than the limit', async () => {
    const r = await files.appendChunk('l', key, 0, pieces(randomBytes(5_000), 1_000), 4_000, null);
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(await files.uploadOffset('l', key)).toBe(0);
  });
});

describe('data keys', () => {
  it('EV7: unwrap with the master key that wrapped them, and not with another', () => {
    const a = masterKey(randomBytes(32));
    const b = masterKey(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = wrapKey(a, dataKey);
    expect(unwrapKey(keyringOf(b, [a]), a.id, wrapped)).toEqual(dataKey);
    expect(() => unwrapKey(keyringOf(b), a.id, wrapped)).toThrow(/not configured/);
    expect(() => unwrapKey(keyringOf(b), b.id, wrapped)).toThrow();
  });
});

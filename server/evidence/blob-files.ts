/**
 * The evidence files on disk, all encrypted (segment-crypto.ts): an open upload is
 * `uploads/<id>.part` (its full segments, none marked final) plus `uploads/<id>.tail` (the last
 * ≤ 1 MiB received, sealed together with the offset it represents, replaced atomically). The tail
 * is the commit point: after a crash the part file is cut back to what the tail says. Completing
 * seals the tail as the final segment and moves the file to `blobs/<file_id>`. A chunk is streamed
 * through a 1 MiB buffer, so memory stays bounded whatever the chunk or file size.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RemoteHashes } from './hash-worker.ts';
import { decryptFile, decryptSegments, DISK_SEGMENT, SEGMENT, seal, sealSegment, unseal, type FileKey } from './segment-crypto.ts';

/** SHA-256 (here), MD5 and SHA-1 (on the hash worker) of the bytes so far. */
export class Hashes {
  private constructor(
    private readonly sha256: Hash,
    private readonly remote: RemoteHashes,
    public length: number,
  ) {}
  static start(): Hashes {
    return new Hashes(createHash('sha256'), RemoteHashes.start(), 0);
  }
  async update(b: Uint8Array): Promise<void> {
    this.sha256.update(b);
    this.length += b.length;
    await this.remote.update(b);
  }
  copy(): Hashes {
    return new Hashes(this.sha256.copy(), this.remote.fork(), this.length);
  }
  async digest(): Promise<{ sha256: string; md5: string; sha1: string }> {
    return { sha256: this.sha256.digest('hex'), ...(await this.remote.digest()) };
  }
  /** Forget this state (the worker's half included). */
  drop(): void {
    this.remote.drop();
  }
}

/** A vectored write of all of `parts` at `position` (a short write is finished, not ignored). */
async function writeAll(fh: FileHandle, parts: Buffer[], position: number): Promise<void> {
  let { bytesWritten } = await fh.writev(parts, position);
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(parts).subarray(bytesWritten);
  while (bytesWritten < total)
    bytesWritten += (await fh.write(rest, bytesWritten - (total - rest.length), total - bytesWritten, position + bytesWritten)).bytesWritten;
}

/** Segments between background flushes of an upload's part file (8 MiB). */
const FLUSH_EVERY = 8;

const TAIL_MAGIC = Buffer.from('SPT1');

const tailHeader = (offset: number): Buffer => {
  const b = Buffer.alloc(12);
  TAIL_MAGIC.copy(b);
  b.writeBigUInt64BE(BigInt(offset), 4);
  return b;
};
const tailAad = (key: FileKey, offset: number): Buffer => Buffer.concat([tailHeader(offset), key.bind]);

/** Full (non-final) segments already in the part file for `offset` bytes received. */
const flushedSegments = (offset: number): number => (offset === 0 ? 0 : Math.floor((offset - 1) / SEGMENT));

type ChunkResult = { ok: true; offset: number } | { ok: false; reason: 'offset'; offset: number } | { ok: false; reason: 'too_large'; offset: number };

export interface BlobFiles {
  readonly root: string;
  /** The upload's committed offset (0 when nothing was received). */
  uploadOffset(id: string, key: FileKey): Promise<number>;
  /**
   * Append `body` at `offset`; `hashes` (when its length equals `offset`) is updated in place
   * only if the whole chunk was stored. At most `limit` bytes are accepted.
   */
  appendChunk(
    id: string,
    key: FileKey,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    limit: number,
    hashes: Hashes | null,
  ): Promise<ChunkResult & { hashes: Hashes | null }>;
  /** Hash an upload's stored bytes again (after a restart lost the running hashes). */
  rehash(id: string, key: FileKey): Promise<Hashes>;
  /** Seal the final segment and move the upload to blobs/<fileId>. */
  finish(id: string, key: FileKey, fileId: string): Promise<void>;
  discardUpload(id: string): Promise<void>;
  blobPath(fileId: string): string;
  removeBlob(fileId: string): Promise<void>;
  /** The plaintext of a stored blob, verified segment by segment. */
  read(fileId: string, key: FileKey, size: number): AsyncGenerator<Buffer>;
}

export async function createBlobFiles(root: string): Promise<BlobFiles> {
  const uploads = join(root, 'uploads');
  const blobs = join(root, 'blobs');
  await mkdir(uploads, { recursive: true, mode: 0o700 });
  await mkdir(blobs, { recursive: true, mode: 0o700 });
  const part = (id: string): string => join(uploads, `${id}.part`);
  const tail = (id: string): string => join(uploads, `${id}.tail`);

  async function loadTail(id: string, key: FileKey): Promise<{ offset: number; plain: Buffer }> {
    let raw: Buffer;
    try {
      raw = await readFile(tail(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { offset: 0, plain: Buffer.alloc(0) };
      throw e;
    }
    const offset = Number(raw.readBigUInt64BE(4));
    return { offset, plain: unseal(key.key, raw.subarray(12), tailAad(key, offset), 'upload tail') };
  }

  async function saveTail(id: string, key: FileKey, offset: number, plain: Uint8Array): Promise<void> {
    const tmp = `${tail(id)}.tmp`;
    await writeFile(tmp, Buffer.concat([tailHeader(offset), seal(key.key, plain, tailAad(key, offset))]), { mode: 0o600 });
    await rename(tmp, tail(id));
  }

  return {
    root,
    async uploadOffset(id, key) {
      return (await loadTail(id, key)).offset;
    },

    async appendChunk(id, key, offset, body, limit, hashes) {
      const state = await loadTail(id, key);
      if (state.offset !== offset) return { ok: false, reason: 'offset', offset: state.offset, hashes };
      const running = hashes && hashes.length === offset ? hashes.copy() : null;
      let segIndex = flushedSegments(offset);
      const fh = await open(part(id), constants.O_RDWR | constants.O_CREAT, 0o600);
      let stored = false;
      try {
        // Segments past the committed tail are left from an interrupted chunk.
        await fh.truncate(segIndex * DISK_SEGMENT);
        const pending = Buffer.allocUnsafe(SEGMENT);
        state.plain.copy(pending);
        let fill = state.plain.length;
        let received = 0;
        // One segment write in flight while the next one fills: the disk and the socket overlap,
        // and memory stays at one sealed segment (sealing copies out of `pending`).
        let writing: Promise<unknown> | null = null;
        // The disk is flushed as the chunk arrives (every FLUSH_EVERY segments, in the
        // background), so the sync that commits the chunk only waits for the last few.
        let flushing: Promise<unknown> = Promise.resolve();
        try {
          for await (const piece of body) {
            received += piece.length;
            if (received > limit) return { ok: false, reason: 'too_large', offset, hashes };
            await running?.update(piece);
            let at = 0;
            while (at < piece.length) {
              if (fill === SEGMENT) {
                const sealed = sealSegment(key, segIndex, false, pending);
                await writing;
                writing = writeAll(fh, sealed, segIndex * DISK_SEGMENT);
                segIndex++;
                if (segIndex % FLUSH_EVERY === 0) {
                  const written = writing;
                  flushing = Promise.all([flushing, written]).then(() => fh.datasync());
                }
                fill = 0;
              }
              const n = Math.min(SEGMENT - fill, piece.length - at);
              pending.set(piece.subarray(at, at + n), fill);
              fill += n;
              at += n;
            }
          }
        } finally {
          // Never leave a write or flush running on a handle about to close, whatever ended the loop.
          await writing?.catch(() => {});
          await flushing.catch(() => {});
        }
        await writing;
        await flushing;
        await fh.sync();
        const next = offset + received;
        await saveTail(id, key, next, pending.subarray(0, fill));
        stored = true;
        return { ok: true, offset: next, hashes: running };
      } finally {
        if (!stored) running?.drop();
        await fh.close();
      }
    },

    async rehash(id, key) {
      const state = await loadTail(id, key);
      const h = Hashes.start();
      for await (const seg of decryptSegments(part(id), key, flushedSegments(state.offset))) await h.update(seg);
      await h.update(state.plain);
      return h;
    },

    async finish(id, key, fileId) {
      const state = await loadTail(id, key);
      const index = flushedSegments(state.offset);
      const fh = await open(part(id), constants.O_RDWR | constants.O_CREAT, 0o600);
      try {
        await fh.truncate(index * DISK_SEGMENT);
        await writeAll(fh, sealSegment(key, index, true, state.plain), index * DISK_SEGMENT);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(part(id), join(blobs, fileId));
      await rm(tail(id), { force: true });
    },

    async discardUpload(id) {
      await rm(part(id), { force: true });
      await rm(tail(id), { force: true });
      await rm(`${tail(id)}.tmp`, { force: true });
    },

    blobPath: (fileId) => join(blobs, fileId),

    async removeBlob(fileId) {
      await rm(join(blobs, fileId), { force: true });
    },

    read: (fileId, key, size) => decryptFile(join(blobs, fileId), key, size),
  };
}

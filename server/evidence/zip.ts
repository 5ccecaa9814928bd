/**
 * Streamed zip archives (zip.js, stored without compression, no web workers): a malware sample
 * inside a zip with the conventional password "infected" (ZipCrypto, which every unzip tool
 * opens), and the legal export. Entries are read from async generators as the archive is
 * written, so memory stays bounded; an error in an entry aborts the archive. zip.js is imported
 * at the first archive, not at start.
 */
import type * as ZipJs from '@zip.js/zip.js';
import { once } from '../../shared/once.ts';

const loadZipJs: () => Promise<typeof ZipJs> = once(() =>
  import('@zip.js/zip.js').then((z) => {
    z.configure({ useWebWorkers: false });
    return z;
  }),
);

export const INFECTED_PASSWORD = 'infected';

export interface ZipEntry {
  name: string;
  /** The bytes: generated, or a stream as it is (another zip nested inside, say). */
  content: () => AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  size: number;
}

/**
 * A stream of what `source` generates, started on the first read; `onError` hears of a failure
 * of `source` (which errors the stream, so a response carrying it is aborted, not ended).
 */
export function streamOf(source: () => AsyncIterable<Uint8Array>, onError?: (e: unknown) => void): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | null = null;
  // The reader can go while a read is pending: a client that had every byte of a sized response
  // closes the connection. The stream is closed then, and closing it again threw, which was
  // reported as a failure of the source (a download "failing verification" that had not).
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      it ??= source()[Symbol.asyncIterator]();
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        onError?.(e);
        if (!cancelled) ctrl.error(e);
        return;
      }
      if (cancelled) return;
      if (r.done) ctrl.close();
      else ctrl.enqueue(r.value);
    },
    async cancel() {
      cancelled = true;
      await it?.return?.();
    },
  });
}

/** A zip of `entries` as a stream (written while it is read). `password`: ZipCrypto. */
export function zipStream(
  entries: () => AsyncIterable<ZipEntry>,
  opts: { password?: string; onError?: (e: unknown) => void } = {},
): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  (async () => {
    const { ZipWriter } = await loadZipJs();
    const writer = new ZipWriter(writable, { level: 0, useWebWorkers: false, keepOrder: true });
    for await (const e of entries()) {
      const content = e.content();
      await writer.add(e.name, content instanceof ReadableStream ? content : streamOf(() => content), {
        ...(opts.password ? { password: opts.password, zipCrypto: true } : {}),
        zip64: e.size >= 0xffff_0000,
      });
    }
    await writer.close();
  })().catch(async (e: unknown) => {
    opts.onError?.(e);
    await writable.abort(e).catch(() => {});
  });
  return readable;
}

/** A file name safe inside an archive: no directories, no control characters. */
export function archiveName(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').replace(/^\.+/, '_');
  return clean.slice(0, 200) || 'file';
}

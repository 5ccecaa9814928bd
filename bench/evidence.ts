/**
 * Evidence locker throughput: a 2 GiB random file uploaded (chunked PUTs, encrypted and hashed
 * with SHA-256, MD5 and SHA-1 while streaming) and downloaded (decrypted, tags and SHA-256
 * verified) through the server process, against a raw disk copy of the same file in the same run.
 * The server's RSS is sampled every 20 ms (VmRSS) for the peak growth over its idle size. The
 * files live in a temp folder, deleted at the end.
 */
import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { startServerProcess } from './server-process.ts';

/** BENCH_EVIDENCE_MIB sizes a quicker run while working on the path; the reported figures use 2 GiB. */
const SIZE = Number(process.env.BENCH_EVIDENCE_MIB ?? 2048) * 1024 ** 2;
const CHUNK = 32 * 1024 * 1024;
const MiB = 1024 * 1024;

const rate = (bytes: number, ms: number): string => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;

async function generate(path: string): Promise<string> {
  const fh = await open(path, 'w');
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 * MiB);
  try {
    for (let at = 0; at < SIZE; at += buf.length) {
      randomFillSync(buf);
      h.update(buf);
      await fh.write(buf, 0, buf.length, at);
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(path, { highWaterMark: 4 * MiB })) h.update(b as Buffer);
  return h.digest('hex');
}

export async function benchEvidence(databaseUrl: string): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'sentpilot-bench-evidence-'));
  try {
    const src = join(dir, 'disk.img');
    const sha256 = await generate(src);

    const streamCopyMs = await timed(() => pipeline(createReadStream(src, { highWaterMark: MiB }), createWriteStream(join(dir, 'copy-stream.img'))));
    await rm(join(dir, 'copy-stream.img'));
    const copyFileMs = await timed(() => copyFile(src, join(dir, 'copy-file.img')));
    await rm(join(dir, 'copy-file.img'));

    const server = await startServerProcess(databaseUrl, { DATA_DIR: join(dir, 'data') });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rssMb())), 20);
    try {
      const h = { ...server.headers };
      const inc = await fetch(`${server.url}/api/v1/incidents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...h },
        body: JSON.stringify({ title: 'bench evidence', category: 'malware' }),
      });
      if (!inc.ok) throw new Error(`incident: ${inc.status} ${await inc.text()}`);
      const incidentId = ((await inc.json()) as { id: string }).id;
      await new Promise((r) => setTimeout(r, 1_000));
      const idle = server.rssMb();
      peak = idle;

      let itemId = '';
      const uploadMs = await timed(async () => {
        const body = { type: 'disk_image', file_name: 'disk.img', collected_at: new Date().toISOString(), size: SIZE, sha256, upload_key: randomUUID() };
        const r = await fetch(`${server.url}/api/v1/incidents/${incidentId}/evidence`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...h },
          body: JSON.stringify(body),
        });
        if (r.status !== 201) throw new Error(`create upload: ${r.status} ${await r.text()}`);
        const up = (await r.json()) as { id: string };
        for (let at = 0; at < SIZE; at += CHUNK) {
          const end = Math.min(SIZE, at + CHUNK);
          const p = await request(`${server.url}/api/v1/evidence-uploads/${up.id}?offset=${at}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - at), ...h },
            body: createReadStream(src, { start: at, end: end - 1, highWaterMark: MiB }),
          });
          if (p.statusCode !== 200) throw new Error(`chunk at ${at}: ${p.statusCode} ${await p.body.text()}`);
          await p.body.dump();
        }
        const done = await fetch(`${server.url}/api/v1/evidence-uploads/${up.id}/complete`, { method: 'POST', headers: h });
        if (done.status !== 201) throw new Error(`complete: ${done.status} ${await done.text()}`);
        itemId = ((await done.json()) as { id: string }).id;
      });
      const uploadPeak = peak;

      const out = join(dir, 'download.img');
      const downloadMs = await timed(async () => {
        const r = await request(`${server.url}/api/v1/incidents/${incidentId}/evidence/${itemId}/content?reason=benchmark`, { headers: h });
        if (r.statusCode !== 200) throw new Error(`download: ${r.statusCode}`);
        // The sink batches like the raw copy does (1 MiB writes), not one write per socket read.
        await pipeline(r.body, createWriteStream(out, { highWaterMark: 4 * MiB }));
      });
      clearInterval(sampler);
      const same = (await fileSha256(out)) === sha256;
      return {
        'file size': `${SIZE / MiB} MiB (random bytes)`,
        'raw disk copy, stream (reference)': `${rate(SIZE, streamCopyMs)} (${(streamCopyMs / 1000).toFixed(1)} s)`,
        'raw disk copy, fs.copyFile': `${rate(SIZE, copyFileMs)} (${(copyFileMs / 1000).toFixed(1)} s)`,
        [`upload, ${CHUNK / MiB} MiB chunks (encrypt + SHA-256/MD5/SHA-1)`]: `${rate(SIZE, uploadMs)} (${(uploadMs / 1000).toFixed(1)} s) = ${((streamCopyMs / uploadMs) * 100).toFixed(0)}% of the stream copy`,
        'download (decrypt, every segment tag verified)': `${rate(SIZE, downloadMs)} (${(downloadMs / 1000).toFixed(1)} s) = ${((streamCopyMs / downloadMs) * 100).toFixed(0)}% of the stream copy`,
        'downloaded bytes identical': same ? 'yes' : 'NO',
        'server RSS idle': `${idle.toFixed(1)} MB`,
        'server peak RSS growth, upload': `${(uploadPeak - idle).toFixed(1)} MB`,
        'server peak RSS growth, upload + download': `${(peak - idle).toFixed(1)} MB`,
      };
    } finally {
      clearInterval(sampler);
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * MD5 and SHA-1 of uploads on a worker thread, so they run beside the SHA-256 and AES-GCM work
 * of the request thread (the three hashes and the cipher on one thread cap an upload at a
 * fraction of disk speed). Bytes go over in 1 MiB batches through a fixed ring of shared slots
 * (no per-batch allocation, no garbage), so memory stays bounded when the worker falls behind. The worker's source is inline (`eval`) so the
 * single-file server bundle needs no second file.
 */
import { Worker } from 'node:worker_threads';
import { once } from '../../shared/once.ts';

const BATCH = 1024 * 1024;
const SLOTS = 4;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const states = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') states.set(m.id, { md5: createHash('md5'), sha1: createHash('sha1') });
  else if (m.op === 'fork') { const s = states.get(m.from); states.set(m.id, { md5: s.md5.copy(), sha1: s.sha1.copy() }); }
  else if (m.op === 'update') { const s = states.get(m.id); const b = new Uint8Array(workerData, m.slot * ${BATCH}, m.len); s.md5.update(b); s.sha1.update(b); parentPort.postMessage({ op: 'ack', slot: m.slot }); }
  else if (m.op === 'digest') { const s = states.get(m.id); states.delete(m.id); parentPort.postMessage({ op: 'digest', id: m.id, md5: s.md5.digest('hex'), sha1: s.sha1.digest('hex') }); }
  else if (m.op === 'drop') states.delete(m.id);
});
`;

type Message = { op: 'ack'; slot: number } | { op: 'digest'; id: number; md5: string; sha1: string };

let worker: Worker | null = null;
let nextId = 1;
/** Made with the first worker, so a server that never hashes an upload never holds it. */
const theRing = once(() => new SharedArrayBuffer(BATCH * SLOTS));
let free: number[] = [...Array(SLOTS).keys()];
let waiting: ((slot: number) => void)[] = [];

function releaseSlot(slot: number): void {
  const next = waiting.shift();
  if (next) next(slot);
  else free.push(slot);
}

function takeSlot(): Promise<number> | number {
  const slot = free.pop();
  return slot ?? new Promise<number>((resolve) => waiting.push(resolve));
}
const digests = new Map<number, { resolve: (d: { md5: string; sha1: string }) => void; reject: (e: Error) => void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: theRing() });
  w.unref();
  w.on('message', (m: Message) => {
    if (m.op === 'ack') releaseSlot(m.slot);
    else {
      digests.get(m.id)?.resolve({ md5: m.md5, sha1: m.sha1 });
      digests.delete(m.id);
    }
  });
  // A dead worker fails what waits on it (the upload's completion then rehashes or errors).
  w.on('exit', () => {
    worker = null;
    free = [...Array(SLOTS).keys()];
    for (const resolve of waiting.splice(0)) resolve(free.pop() ?? 0);
    for (const d of digests.values()) d.reject(new Error('the hash worker stopped'));
    digests.clear();
  });
  w.on('error', () => {});
  worker = w;
  return w;
}

/** Stop the worker when nothing is hashing (a server closing); the next hash starts a new one. */
export async function stopHashWorkerIfIdle(): Promise<void> {
  if (worker && digests.size === 0 && waiting.length === 0) await worker.terminate();
}

/** One MD5 + SHA-1 state on the worker. */
export class RemoteHashes {
  private batch = Buffer.allocUnsafe(BATCH);
  private fill = 0;
  private constructor(readonly id: number) {}

  static start(): RemoteHashes {
    const h = new RemoteHashes(nextId++);
    theWorker().postMessage({ op: 'start', id: h.id });
    return h;
  }

  /** A copy of the state (including bytes not yet sent). */
  fork(): RemoteHashes {
    const h = new RemoteHashes(nextId++);
    theWorker().postMessage({ op: 'fork', id: h.id, from: this.id });
    this.batch.copy(h.batch, 0, 0, this.fill);
    h.fill = this.fill;
    return h;
  }

  /** Resolves at once unless too many batches are in flight. */
  async update(b: Uint8Array): Promise<void> {
    let at = 0;
    while (at < b.length) {
      const n = Math.min(BATCH - this.fill, b.length - at);
      this.batch.set(b.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BATCH) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const w = theWorker();
    const slot = await takeSlot();
    new Uint8Array(theRing(), slot * BATCH, this.fill).set(this.batch.subarray(0, this.fill));
    w.postMessage({ op: 'update', id: this.id, slot, len: this.fill });
    this.fill = 0;
  }

  async digest(): Promise<{ md5: string; sha1: string }> {
    await this.flush();
    const done = new Promise<{ md5: string; sha1: string }>((resolve, reject) => digests.set(this.id, { resolve, reject }));
    theWorker().postMessage({ op: 'digest', id: this.id });
    return done;
  }

  drop(): void {
    theWorker().postMessage({ op: 'drop', id: this.id });
  }
}

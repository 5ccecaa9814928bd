// Loaded into the server process by bench/rss.ts (NODE_OPTIONS=--expose-gc --import): on SIGUSR2 it
// runs full garbage collections and writes the process's memory figures as JSON to RSS_PROBE_FILE,
// and, when RSS_PROBE_SNAPSHOT_DIR is set, a heap snapshot named after the probe's label.
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';

const file = process.env.RSS_PROBE_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    const label = (() => {
      try {
        return JSON.parse(readFileSync(`${file}.ask`, 'utf8')).label;
      } catch {
        return 'probe';
      }
    })();
    const gc = globalThis.gc;
    // Several passes: weak callbacks and finalizers free more on the next one.
    for (let i = 0; i < 4; i++) gc?.();
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    // Read before a snapshot is written: writing one takes hundreds of MB of its own.
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { size: sp.space_size, used: sp.space_used_size, physical: sp.physical_space_size }]),
    );
    const snapshotDir = process.env.RSS_PROBE_SNAPSHOT_DIR;
    if (snapshotDir) v8.writeHeapSnapshot(join(snapshotDir, `${label}.heapsnapshot`));
    writeFileSync(
      file,
      JSON.stringify({
        label,
        rss: m.rss,
        rssAnon: kb('RssAnon'),
        rssFile: kb('RssFile') + kb('RssShmem'),
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        mallocedMemory: h.malloced_memory,
        peakMallocedMemory: h.peak_malloced_memory,
        spaces,
        gc: typeof gc === 'function',
      }),
    );
  });
}

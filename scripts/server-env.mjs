// Environment for a server process. glibc raises its mmap threshold after the first large free,
// so each argon2id hash (19 MiB, on a libuv worker thread with its own malloc arena) would stay
// resident afterwards: +20 MB per worker thread. A fixed threshold keeps such buffers mmapped,
// so they go back to the system when freed.
export function serverProcessEnv(env = process.env) {
  return { MALLOC_MMAP_THRESHOLD_: '131072', ...env };
}

// Node flags of a server process. V8's young generation grows to two 16 MiB semi-spaces under
// load and keeps them resident when empty (28-30 MB of an idle server's RSS, `npm run bench rss`);
// 2 MiB semi-spaces keep 4 MB. The cost is more frequent young collections: figures in README.md.
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=2'];

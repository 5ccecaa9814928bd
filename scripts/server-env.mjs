// Environment for a server process. glibc raises its mmap threshold after the first large free,
// so each argon2id hash (19 MiB, on a libuv worker thread with its own malloc arena) would stay
// resident afterwards: +20 MB per worker thread. A fixed threshold keeps such buffers mmapped,
// so they go back to the system when freed.
export function serverProcessEnv(env = process.env) {
  return { MALLOC_MMAP_THRESHOLD_: '131072', ...env };
}

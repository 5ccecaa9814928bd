/**
 * Test helper: wait for a condition by polling with a short interval and a deadline, so sync
 * tests assert on outcomes instead of sleeping a fixed time.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting${opts.message ? ` for ${opts.message}` : ''} (last: ${last instanceof Error ? last.message : String(last)})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
  }
}

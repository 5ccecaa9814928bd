/**
 * streamOf: a source's failure errors the stream and is reported; a reader that goes away while
 * a read is pending is not a failure.
 */
import { describe, expect, it } from 'vitest';
import { streamOf } from './zip.ts';

describe('streamOf', () => {
  it('reports nothing when the reader cancels while a read is pending', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const errors: unknown[] = [];
    const stream = streamOf(
      async function* () {
        yield new Uint8Array([1]);
        await gate;
        yield new Uint8Array([2]);
      },
      (e) => errors.push(e),
    );
    const reader = stream.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    const pending = reader.read();
    await new Promise((r) => setTimeout(r, 5));
    const cancelled = reader.cancel();
    release();
    await cancelled;
    expect((await pending).done).toBe(true);
    expect(errors).toEqual([]);
  });

  it('errors the stream and reports a failure of the source', async () => {
    const errors: unknown[] = [];
    const stream = streamOf(
      async function* () {
        yield new Uint8Array([1]);
        throw new Error('segment 2 failed verification');
      },
      (e) => errors.push(e),
    );
    const reader = stream.getReader();
    await reader.read();
    await expect(reader.read()).rejects.toThrow('segment 2 failed verification');
    expect(errors.map((e) => (e as Error).message)).toEqual(['segment 2 failed verification']);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSha256 } from './evidence-sha256.ts';

const reference = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('incremental SHA-256', () => {
  it('gives the standard digest of the empty input and of "abc"', () => {
    expect(createSha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const h = createSha256();
    h.update(new TextEncoder().encode('abc'));
    expect(h.hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('equals a one-shot digest whatever the chunk boundaries', () => {
    for (const size of [55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
      const data = new Uint8Array(randomBytes(size));
      for (const chunk of [1, 7, 64, 333, size]) {
        const h = createSha256();
        for (let i = 0; i < size; i += chunk) h.update(data.subarray(i, i + chunk));
        expect(h.hex(), `size ${size} chunk ${chunk}`).toBe(reference(data));
      }
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchRefused, guardedGet, isForbiddenAddress } from './ssrf.ts';

let server: Server;
let port = 0;
let hits = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/truncated') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('1.2.3.4\n');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/list' });
      res.end();
      return;
    }
    if (req.url === '/big') {
      res.write('x'.repeat(600));
      res.end('x'.repeat(600));
      return;
    }
    if (req.url === '/big-known') {
      res.end('x'.repeat(5_000));
      return;
    }
    res.end('1.2.3.4\n5.6.7.8\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of body) s += Buffer.from(c).toString();
  return s;
}

describe('isForbiddenAddress', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.5.5', '192.168.1.1', '169.254.169.254', '100.64.1.1', '0.0.0.0', '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', 'fe80::1', 'fd00::5', '224.0.0.1'])(
    'refuses %s',
    (a) => expect(isForbiddenAddress(a)).toBe(true),
  );
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (a) => expect(isForbiddenAddress(a)).toBe(false));
});

describe('guardedGet', () => {
  it('refuses a loopback URL, by address or by name, without connecting', async () => {
    const before = hits;
    await expect(guardedGet(`http://127.0.0.1:${port}/list`, {}, { allowPrivate: false })).rejects.toBeInstanceOf(FetchRefused);
    await expect(guardedGet(`http://localhost:${port}/list`, {}, { allowPrivate: false })).rejects.toThrow(/private or reserved/);
    await expect(guardedGet(`http://[::ffff:127.0.0.1]:${port}/list`, {}, { allowPrivate: false })).rejects.toBeInstanceOf(FetchRefused);
    expect(hits).toBe(before);
  });

  it('fetches and follows redirects when private addresses are allowed', async () => {
    const res = await guardedGet(`http://localhost:${port}/redirect`, {}, { allowPrivate: true });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`http://localhost:${port}/list`);
    expect(await text(res.body)).toBe('1.2.3.4\n5.6.7.8\n');
  });

  it('a download cut short is an error, not a shorter feed', async () => {
    const res = await guardedGet(`http://127.0.0.1:${port}/truncated`, {}, { allowPrivate: true });
    await expect(text(res.body)).rejects.toThrow();
  });

  it('stops reading past the size limit', async () => {
    const res = await guardedGet(`http://127.0.0.1:${port}/big`, {}, { allowPrivate: true, maxBytes: 1_000 });
    await expect(text(res.body)).rejects.toThrow(/1000-byte limit/);
    await expect(guardedGet(`http://127.0.0.1:${port}/big-known`, {}, { allowPrivate: true, maxBytes: 1_000 })).rejects.toThrow(/1000-byte limit/);
  });
});

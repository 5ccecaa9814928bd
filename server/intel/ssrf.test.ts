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

describe('IN13: isForbiddenAddress', () => {
  it.each([
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.5.5', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.1.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['not-an-address', 'not an address'],
    ['127.1', 'shorthand IPv4'],
    // IPv6 itself
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['fec0::1', 'site-local'],
    ['fd00::5', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'global multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation (RFC 9637)'],
    ['100::1', 'discard'],
    ['5f00::1', 'SRv6 SIDs (outside global unicast)'],
    ['2001::1', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:2::1', 'benchmarking'],
    // IPv6 embedding a private IPv4
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private, dotted'],
    ['::ffff:a00:1', 'IPv4-mapped private, hex'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped metadata, uncompressed'],
    ['::FFFF:A9FE:A9FE', 'IPv4-mapped metadata, upper case'],
    ['::ffff:0:10.0.0.1', 'IPv4-translated private'],
    ['::10.0.0.1', 'IPv4-compatible private'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated, never public)'],
    ['64:ff9b::10.0.0.1', 'NAT64 of a private address, dotted'],
    ['64:ff9b::a00:1', 'NAT64 of a private address, hex'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['64:ff9b:1::a00:1', 'NAT64 local-use prefix'],
    ['64:ff9b:1:2::8.8.8.8', 'NAT64 local-use prefix, public IPv4'],
    ['2002:a00:1::1', '6to4 of a private address'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
    ['2a01:4f8:1:2:0:5efe:10.0.0.1', 'ISATAP of a private address'],
    ['2a01:4f8:1:2:200:5efe:a9fe:a9fe', 'ISATAP (global bit) of the metadata address'],
    ['fe80::5efe:8.8.8.8', 'ISATAP on a link-local prefix'],
  ])('refuses %s (%s)', (a) => expect(isForbiddenAddress(a)).toBe(true));

  it.each([
    ['8.8.8.8', 'public IPv4'],
    ['1.1.1.1', 'public IPv4'],
    ['2606:4700:4700::1111', 'global unicast'],
    ['2a00:1450:4001:82b::200e', 'global unicast'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['::ffff:808:808', 'IPv4-mapped public, hex'],
    ['64:ff9b::8.8.8.8', 'NAT64 of a public address'],
    ['64:ff9b::808:808', 'NAT64 of a public address, hex'],
    ['2002:808:808::1', '6to4 of a public address'],
    ['2a01:4f8:1:2:200:5efe:8.8.8.8', 'ISATAP of a public address'],
  ])('allows %s (%s)', (a) => expect(isForbiddenAddress(a)).toBe(false));
});

describe('IN13: guardedGet', () => {
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

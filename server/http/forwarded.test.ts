// @vitest-environment node
/**
 * The client address behind trusted proxies: only the entries the trusted proxies appended count,
 * so whatever the client wrote at the left of X-Forwarded-For is ignored; the scheme and host are
 * read the same way; the rate-limit key of an address.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, forwardedEntry, isHttps, requestHost } from './forwarded.ts';
import { rateLimitKey } from './ip-address.ts';

function probe(hops: number) {
  const app = new Hono();
  app.get('/', (c) => c.json({ address: clientAddress(c, hops), https: isHttps(c, hops), host: requestHost(c, hops) ?? null }));
  return async (headers: Record<string, string>) =>
    (await (await app.request('/', { headers })).json()) as { address: string; https: boolean; host: string | null };
}

describe('ID6: clientAddress', () => {
  it.each([
    // [hops, X-Forwarded-For, expected]: app.request has no socket, so "unknown" is the socket's.
    [1, '203.0.113.7', '203.0.113.7'],
    [1, '10.0.0.1, 203.0.113.7', '203.0.113.7'],
    [1, '127.0.0.1, 10.0.0.1, 203.0.113.7', '203.0.113.7'],
    [1, '1.1.1.1,2.2.2.2 ,  203.0.113.7', '203.0.113.7'],
    [2, '6.6.6.6, 198.51.100.4, 10.1.1.1', '198.51.100.4'],
    [2, '198.51.100.4', '198.51.100.4'],
    [3, '9.9.9.9, 8.8.8.8, 198.51.100.4, 10.0.0.2, 10.0.0.3', '198.51.100.4'],
    [1, '10.0.0.1, [2001:db8::5]:4711', '2001:db8::5'],
    [1, '10.0.0.1, 203.0.113.7:8080', '203.0.113.7'],
    [1, '203.0.113.7, unknown', 'unknown'],
    [1, '203.0.113.7, ', '203.0.113.7'],
    [0, '203.0.113.7', 'unknown'],
  ] as const)('with %i trusted hop(s), X-Forwarded-For "%s" is %s', async (hops, xff, expected) => {
    expect((await probe(hops)({ 'x-forwarded-for': xff })).address).toBe(expected);
  });

  it('takes the socket when there is no header, even with trusted proxies', async () => {
    expect((await probe(1)({})).address).toBe('unknown');
  });

  it('ignores a spoofed scheme and host written before the proxy’s', async () => {
    const p = probe(1);
    expect(await p({ 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'evil.example, sentpilot.example', host: 'backend:8080' })).toMatchObject({
      https: false,
      host: 'sentpilot.example',
    });
    expect(await p({ 'x-forwarded-proto': 'https', host: 'backend:8080' })).toMatchObject({ https: true, host: 'backend:8080' });
    expect(await probe(0)({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', host: 'backend:8080' })).toMatchObject({
      https: false,
      host: 'backend:8080',
    });
  });

  it('forwardedEntry takes the entry hops from the end, the first when the chain is shorter', () => {
    expect(forwardedEntry('a, b, c', 1)).toBe('c');
    expect(forwardedEntry('a, b, c', 2)).toBe('b');
    expect(forwardedEntry('a, b, c', 5)).toBe('a');
    expect(forwardedEntry('a, b, c', 0)).toBeUndefined();
    expect(forwardedEntry(undefined, 1)).toBeUndefined();
  });
});

describe('rateLimitKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, key) => expect(rateLimitKey(address)).toBe(key));
});

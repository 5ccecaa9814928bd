import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Sql } from '../db/connect.ts';
import { createListCache } from './list-cache.ts';

const logger = pino({ level: 'silent' });
const noSql = {} as Sql;

describe('list cache', () => {
  it('serves a page until it is older than freshMs, then reads again', async () => {
    let t = 0;
    let reads = 0;
    const cache = createListCache(noSql, logger, { freshMs: 1_000, now: () => t });
    const load = async () => `page ${++reads}`;
    expect(await cache.get('k', load)).toBe('page 1');
    t = 999;
    expect(await cache.get('k', load)).toBe('page 1');
    t = 1_000;
    expect(await cache.get('k', load)).toBe('page 2');
  });

  it('forgets every page on bump, and never keeps a page read across a bump', async () => {
    let reads = 0;
    const cache = createListCache(noSql, logger);
    expect(await cache.get('k', async () => `page ${++reads}`)).toBe('page 1');
    cache.bump();
    // A read in flight while the rows change returns its page but does not keep it.
    const inFlight = cache.get('k', async () => {
      cache.bump();
      return `page ${++reads}`;
    });
    expect(await inFlight).toBe('page 2');
    expect(await cache.get('k', async () => `page ${++reads}`)).toBe('page 3');
  });

  it('keeps at most maxEntries pages, dropping the oldest', async () => {
    const cache = createListCache(noSql, logger, { maxEntries: 2 });
    let reads = 0;
    const load = async () => `page ${++reads}`;
    await cache.get('a', load);
    await cache.get('b', load);
    await cache.get('c', load);
    expect(await cache.get('b', load)).toBe('page 2');
    expect(await cache.get('a', load)).toBe('page 4');
  });
});

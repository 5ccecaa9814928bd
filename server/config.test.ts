// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses the defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toEqual({
      ok: true,
      value: {
        port: 8080,
        host: '0.0.0.0',
        databaseUrl: undefined,
        dataDir: './data',
        logLevel: 'info',
        staticDir: './dist',
        lingerMs: 30_000,
        projectorDebounceMs: 150,
      },
    });
  });

  it('treats empty values as unset', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '  ' });
    expect(c.ok && c.value.port).toBe(8080);
    expect(c.ok && c.value.databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'postgres://u@h:5432/db', DATA_DIR: '/var/lib/sp', LOG_LEVEL: 'debug', STATIC_DIR: '/srv/dist', DOC_LINGER_MS: '1000' });
    expect(c.ok && c.value).toMatchObject({ port: 0, host: '127.0.0.1', databaseUrl: 'postgres://u@h:5432/db', dataDir: '/var/lib/sp', logLevel: 'debug', staticDir: '/srv/dist', lingerMs: 1000 });
  });

  it('names each bad variable and its value', () => {
    const c = loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.error).toContain('PORT="eighty"');
    expect(c.error).toContain('LOG_LEVEL="loud"');
    expect(c.error).toContain('DATABASE_URL="mysql://x"');
  });

  it('refuses a port out of range', () => {
    const c = loadConfig({ PORT: '70000' });
    expect(!c.ok && c.error).toContain('PORT');
  });
});

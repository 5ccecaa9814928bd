// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { DEFAULT_SLA_POLICY } from '../shared/sla.ts';

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
        listCacheMs: 1_000,
        auth: {
          adminEmail: undefined,
          adminPassword: undefined,
          sessionTtlHours: 12,
          publicUrl: undefined,
          trustProxy: 0,
          oidc: null,
          rateLimit: { perAccount: 100, perAddress: 50, windowMs: 15 * 60_000, pairFree: 3, pairMaxMs: 15 * 60_000 },
        },
        slaPolicy: DEFAULT_SLA_POLICY,
        intel: { allowPrivateFeedUrls: false, fetchTimeoutMs: 300_000, maxFeedBytes: 1024 ** 3, pushMaxBytes: 64 * 1024 ** 2, retroDays: 90 },
        evidence: { key: undefined, previousKey: undefined, quotaIncidentBytes: 50 * 1024 ** 3, quotaTotalBytes: 500 * 1024 ** 3, uploadIdleHours: 168 },
        playbooks: {
          dataDir: './data',
          dir: undefined,
          scriptsDir: undefined,
          secretsKey: undefined,
          secretsKeyPrevious: undefined,
          smtp: null,
          engine: { concurrency: 16, sweepGraceMs: 10_000, sweepIntervalMs: 5_000, coalesceSeconds: 300 },
          webhookMaxPerMinute: 60,
          webhookMaxRefusedPerMinute: 10,
        },
      },
    });
  });

  it('merges SLA_POLICY over the default policy and names what is wrong in it', () => {
    const c = loadConfig({
      SLA_POLICY: JSON.stringify({ severity: { S1: { respondMinutes: 10, resolveMinutes: 120 } }, regulations: { ccpa: { label: 'CCPA', hours: 720 } } }),
    });
    expect(c.ok && c.value.slaPolicy.severity.S1).toEqual({ respondMinutes: 10, resolveMinutes: 120 });
    expect(c.ok && c.value.slaPolicy.severity.S2).toEqual(DEFAULT_SLA_POLICY.severity.S2);
    expect(c.ok && Object.keys(c.value.slaPolicy.regulations)).toEqual(['gdpr', 'hipaa', 'nis2', 'ccpa']);
    const bad = loadConfig({ SLA_POLICY: JSON.stringify({ severity: { S1: { respondMinutes: -1, resolveMinutes: 1 } } }) });
    expect(!bad.ok && bad.error).toContain('SLA_POLICY: severity.S1.respondMinutes');
    expect(!loadConfig({ SLA_POLICY: '{oops' }).ok).toBe(true);
  });

  it('reads the identity settings and the OIDC role map', () => {
    const c = loadConfig({
      ADMIN_EMAIL: 'Root@Example.com',
      ADMIN_PASSWORD: 'correct horse battery',
      TRUST_PROXY: 'true',
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_CLIENT_ID: 'sentpilot',
      OIDC_CLIENT_SECRET: 's3cret',
      OIDC_ROLE_MAP: 'sec-admins=admin, soc=analyst',
      OIDC_DEFAULT_ROLE: 'none',
    });
    expect(c.ok && c.value.auth).toMatchObject({
      adminEmail: 'root@example.com',
      trustProxy: 1,
      oidc: { issuer: 'https://idp.example.com', roleClaim: 'groups', roleMap: { 'sec-admins': 'admin', soc: 'analyst' }, defaultRole: null },
    });
  });

  it('ID6: trusts the configured number of proxy hops, and none without TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' })).toMatchObject({ ok: true, value: { auth: { trustProxy: 2 } } });
    expect(loadConfig({ TRUST_PROXY_HOPS: '2' })).toMatchObject({ ok: true, value: { auth: { trustProxy: 0 } } });
    const bad = loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '0' });
    expect(!bad.ok && bad.error).toContain('TRUST_PROXY_HOPS="0"');
  });

  it('reads the login backoff settings', () => {
    const c = loadConfig({ LOGIN_BACKOFF_AFTER: '5', LOGIN_BACKOFF_MAX_MINUTES: '2', LOGIN_MAX_FAILURES_PER_ACCOUNT: '300' });
    expect(c.ok && c.value.auth.rateLimit).toEqual({ perAccount: 300, perAddress: 50, windowMs: 15 * 60_000, pairFree: 5, pairMaxMs: 120_000 });
  });

  it('refuses a bad role map and half an OIDC configuration', () => {
    const c = loadConfig({ OIDC_ROLE_MAP: 'x=superuser', OIDC_ISSUER: 'https://idp.example.com' });
    expect(!c.ok && c.error).toContain('OIDC_ROLE_MAP');
    expect(!c.ok && c.error).toContain('set all three or none');
  });

  it('treats empty values as unset', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '  ' });
    expect(c.ok && c.value.port).toBe(8080);
    expect(c.ok && c.value.databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://u@h:5432/db',
      DATA_DIR: '/var/lib/sp',
      LOG_LEVEL: 'debug',
      STATIC_DIR: '/srv/dist',
      DOC_LINGER_MS: '1000',
    });
    expect(c.ok && c.value).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: 'postgres://u@h:5432/db',
      dataDir: '/var/lib/sp',
      logLevel: 'debug',
      staticDir: '/srv/dist',
      lingerMs: 1000,
    });
  });

  it('reads the retrospective search window and refuses one that is not a whole number of days', () => {
    const c = loadConfig({ INTEL_RETRO_DAYS: '30' });
    expect(c.ok && c.value.intel.retroDays).toBe(30);
    const bad = loadConfig({ INTEL_RETRO_DAYS: '1.5' });
    expect(!bad.ok && bad.error).toContain('INTEL_RETRO_DAYS="1.5"');
  });

  it('reads the webhook delivery limit and refuses one below 1', () => {
    const c = loadConfig({ PLAYBOOK_WEBHOOK_MAX_PER_MINUTE: '5' });
    expect(c.ok && c.value.playbooks.webhookMaxPerMinute).toBe(5);
    const bad = loadConfig({ PLAYBOOK_WEBHOOK_MAX_PER_MINUTE: '0' });
    expect(!bad.ok && bad.error).toContain('PLAYBOOK_WEBHOOK_MAX_PER_MINUTE="0"');
  });

  it('reads the playbook coalesce window and refuses a negative one', () => {
    const c = loadConfig({ PLAYBOOK_COALESCE_SECONDS: '0' });
    expect(c.ok && c.value.playbooks.engine?.coalesceSeconds).toBe(0);
    const bad = loadConfig({ PLAYBOOK_COALESCE_SECONDS: '-1' });
    expect(!bad.ok && bad.error).toContain('PLAYBOOK_COALESCE_SECONDS="-1"');
  });

  it('reads the idle time after which an open evidence upload is removed', () => {
    const c = loadConfig({ EVIDENCE_UPLOAD_IDLE_HOURS: '48' });
    expect(c.ok && c.value.evidence.uploadIdleHours).toBe(48);
    const bad = loadConfig({ EVIDENCE_UPLOAD_IDLE_HOURS: '0' });
    expect(!bad.ok && bad.error).toContain('EVIDENCE_UPLOAD_IDLE_HOURS="0"');
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

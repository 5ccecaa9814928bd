import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTools, type FakeTools } from '../testing/fake-tools.ts';
import { fakeContext, runAction, type FakeContextOptions } from './fake-context.ts';
import { ACTIONS } from './registry.ts';
import { ActionError } from './types.ts';

const KEY = 'edr-KEY-0123456789abcdef';
let tools: FakeTools;
beforeAll(async () => {
  tools = await startFakeTools();
});
afterAll(() => tools.close());
beforeEach(() => tools.reset());

const configured = (): FakeContextOptions['connectors'] => {
  const c = { endpoint: tools.url, secrets: { api_key: KEY } };
  return {
    firewall: c,
    proxy: c,
    identity: c,
    edr: c,
    mail: c,
    virustotal: c,
    abuseipdb: c,
    slack: { secrets: { webhook_url: `${tools.url}/slack/T000/B000/${KEY}` } },
    teams: { secrets: { webhook_url: `${tools.url}/teams/hook/${KEY}` } },
  };
};
const run = (name: string, raw: unknown, opts: FakeContextOptions = {}) => {
  const ctx = fakeContext({ connectors: configured(), ...opts });
  return { ctx, out: runAction(ACTIONS, name, raw, ctx) };
};
async function failure(p: Promise<unknown>): Promise<ActionError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ActionError);
  return e as ActionError;
}

/** action, inputs, expected method, path and body at the tool. */
const CASES: [string, Record<string, unknown>, string, string, unknown][] = [
  [
    'firewall.block_ip',
    { ip: '203.0.113.7', duration: '24h', comment: 'brute force' },
    'POST',
    '/block',
    { ip: '203.0.113.7', duration_seconds: 86_400, comment: 'brute force' },
  ],
  ['proxy.block_domain', { domain: 'Evil.Example.com' }, 'POST', '/block', { domain: 'evil.example.com', duration_seconds: null, comment: '' }],
  ['identity.disable_account', { account: 'ceo@corp.example' }, 'PATCH', '/users/ceo%40corp.example', { accountEnabled: false }],
  ['identity.reset_password', { account: 'jdoe' }, 'PATCH', '/users/jdoe', { passwordProfile: { forceChangePasswordNextSignIn: true } }],
  ['identity.revoke_sessions', { account: 'jdoe' }, 'POST', '/users/jdoe/revokeSignInSessions', null],
  ['edr.isolate_host', { host: 'WS-042', comment: 'ransomware' }, 'POST', '/hosts/WS-042/isolate', { comment: 'ransomware' }],
  ['edr.release_host', { host: 'WS-042' }, 'POST', '/hosts/WS-042/release', { comment: '' }],
  ['edr.collect_memory', { host: 'WS-042' }, 'POST', '/hosts/WS-042/memory-dump', { comment: '' }],
  [
    'edr.block_hash',
    { hash: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' },
    'POST',
    '/indicators',
    { type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', action: 'block', comment: '' },
  ],
  [
    'mail.purge_message',
    { message_id: '<abc@mail.example>' },
    'POST',
    '/messages/purge',
    { message_id: '<abc@mail.example>', scope: 'all_mailboxes', comment: '' },
  ],
];

describe('security tool connectors', () => {
  it.each(CASES)('%s sends its request with auth and the idempotency key', async (name, input, method, path, body) => {
    const { ctx, out } = run(name, input);
    const result = (await out) as Record<string, unknown>;
    expect(result['status']).toBe(200);
    expect(tools.calls).toHaveLength(1);
    const call = tools.calls[0];
    expect({ method: call?.method, path: call?.path, body: call?.body }).toEqual({ method, path, body });
    expect(call?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(call?.headers['idempotency-key']).toBe(ctx.idempotencyKey);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(ctx.logLines.join('')).not.toContain(KEY);
  });

  it.each(CASES)('%s without configuration fails with not_configured and sends nothing', async (name, input) => {
    const connector = ACTIONS.get(name)?.connector as string;
    const e = await failure(run(name, input, { connectors: {} }).out);
    expect(e).toMatchObject({ code: 'not_configured', retryable: false, message: `connector "${connector}" not configured` });
    expect(tools.calls).toHaveLength(0);
  });

  it.each(CASES)('PB16: %s in a dry run returns the request it would send, without secrets, and sends nothing', async (name, input, method, path, body) => {
    const out = (await run(name, input, { dryRun: true }).out) as Record<string, unknown>;
    expect(out).toMatchObject({ dry_run: true, would: { method, url: `${tools.url}${path}`, body } });
    expect(JSON.stringify(out)).not.toContain(KEY);
    expect(tools.calls).toHaveLength(0);
  });

  it('settings.auth_header sends the API key in that header instead of Authorization', async () => {
    await run(
      'firewall.block_ip',
      { ip: '192.0.2.1' },
      { connectors: { firewall: { endpoint: tools.url, settings: { auth_header: 'X-API-Key' }, secrets: { api_key: KEY } } } },
    ).out;
    expect(tools.calls[0]?.headers['x-api-key']).toBe(KEY);
    expect(tools.calls[0]?.headers['authorization']).toBeUndefined();
  });

  it('a configured connector without its API key is not_configured', async () => {
    const e = await failure(run('edr.isolate_host', { host: 'h' }, { connectors: { edr: { endpoint: tools.url, secrets: {} } } }).out);
    expect(e).toMatchObject({ code: 'not_configured', message: 'connector "edr" has no api_key set' });
  });

  it('PB11, PB13: a 503 from the tool is a retryable http_status error naming the connector; a repeated attempt acts once', async () => {
    tools.failNext('POST /hosts/*', 1, 503);
    const recorded = new Map();
    const e = await failure(run('edr.isolate_host', { host: 'WS-1' }, { recorded }).out);
    expect(e).toMatchObject({ code: 'http_status', retryable: true });
    expect(e.message).toContain('connector "edr"');
    await run('edr.isolate_host', { host: 'WS-1' }, { recorded }).out;
    await run('edr.isolate_host', { host: 'WS-1' }, { recorded }).out;
    expect(tools.callsTo('/hosts/WS-1/isolate')).toHaveLength(2); // the failed one and one success
    expect(tools.idempotencyCounts().get('run-1:step-1:null')).toBe(2);
  });

  it('refuses bad targets naming the field', () => {
    const issues = (name: string, v: unknown) =>
      ACTIONS.get(name)
        ?.input.safeParse(v)
        .error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(issues('firewall.block_ip', { ip: '999.1.1.1' })).toEqual(['ip']);
    expect(issues('edr.block_hash', { hash: 'abc' })).toEqual(['hash']);
    expect(issues('mail.purge_message', { subject: 'only a subject' })).toEqual(['message_id']);
    expect(issues('firewall.block_ip', { ip: '1.2.3.4', duration: 'forever' })).toEqual(['duration']);
  });

  it('host and account names are path-encoded, never path-traversing', async () => {
    await run('identity.disable_account', { account: '../admin/x' }).out;
    expect(tools.calls[0]?.path).toBe('/users/..%2Fadmin%2Fx');
    const issues = (v: unknown) =>
      ACTIONS.get('edr.isolate_host')
        ?.input.safeParse(v)
        .error?.issues.map((i) => i.path.join('.'));
    for (const host of ['..', '.', '%2e%2E']) expect(issues({ host }), host).toEqual(['host']);
  });
});

describe('enrichment', () => {
  it('virustotal looks up by detected kind with x-apikey, also in a dry run', async () => {
    tools.setReputation('203.0.113.7', { malicious: 9 });
    tools.setReputation('http://bad.example/x', { malicious: 3 });
    const ip = await run('enrich.virustotal', { indicator: '203.0.113.7' }, { dryRun: true }).out;
    expect(ip).toMatchObject({ kind: 'ip', found: true, malicious: 9, harmless: 60 });
    const url = await run('enrich.virustotal', { indicator: 'http://bad.example/x' }).out;
    expect(url).toMatchObject({ kind: 'url', malicious: 3 });
    await run('enrich.virustotal', { indicator: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }).out;
    await run('enrich.virustotal', { indicator: 'evil.example' }).out;
    expect(tools.calls.map((c) => c.path)).toEqual([
      '/api/v3/ip_addresses/203.0.113.7',
      `/api/v3/urls/${Buffer.from('http://bad.example/x').toString('base64url')}`,
      '/api/v3/files/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '/api/v3/domains/evil.example',
    ]);
    expect(tools.calls.every((c) => c.headers['x-apikey'] === KEY && c.headers['authorization'] === undefined)).toBe(true);
  });

  it('virustotal: never seen (404) is a result, not a failure', async () => {
    expect(await run('enrich.virustotal', { indicator: 'unknown.example' }).out).toMatchObject({ found: false, malicious: 0 });
  });

  it('abuseipdb checks with the Key header and returns the confidence score', async () => {
    tools.setReputation('198.51.100.9', { abuseScore: 87 });
    const out = await run('enrich.abuseipdb', { ip: '198.51.100.9' }).out;
    expect(out).toMatchObject({ ip: '198.51.100.9', abuse_confidence_score: 87, total_reports: 12, country_code: 'NL' });
    expect(tools.calls[0]).toMatchObject({ path: '/api/v2/check', query: { ipAddress: '198.51.100.9', maxAgeInDays: '90' } });
    expect(tools.calls[0]?.headers['key']).toBe(KEY);
  });

  it('enrichment without configuration is not_configured', async () => {
    expect(await failure(run('enrich.abuseipdb', { ip: '1.2.3.4' }, { connectors: {} }).out)).toMatchObject({
      code: 'not_configured',
      message: 'connector "abuseipdb" not configured',
    });
  });
});

describe('slack and teams webhooks', () => {
  it('slack gets { text }, teams a MessageCard, both at the configured webhook URL', async () => {
    await run('notify.slack', { text: 'IR-2026-0042: host isolated' }).out;
    await run('notify.teams', { title: 'Sentpilot', text: 'IR-2026-0042: host isolated' }).out;
    expect(tools.calls[0]).toMatchObject({ method: 'POST', path: `/slack/T000/B000/${KEY}`, body: { text: 'IR-2026-0042: host isolated' } });
    expect(tools.calls[1]).toMatchObject({
      method: 'POST',
      path: `/teams/hook/${KEY}`,
      body: { '@type': 'MessageCard', title: 'Sentpilot', text: 'IR-2026-0042: host isolated' },
    });
  });

  it('PB23: an error never shows the webhook URL (its path is the credential)', async () => {
    tools.failNext('POST /slack/*', 1, 500);
    const e = await failure(run('notify.slack', { text: 'x' }).out);
    expect(e.message).toContain('slack webhook answered 500');
    expect(e.message).not.toContain(KEY);
  });

  it('not configured, dry run', async () => {
    expect(await failure(run('notify.teams', { text: 'x' }, { connectors: {} }).out)).toMatchObject({
      code: 'not_configured',
      message: 'connector "teams" not configured',
    });
    const out = await run('notify.slack', { text: 'x' }, { dryRun: true }).out;
    expect(out).toEqual({ dry_run: true, would: { connector: 'slack', payload: { text: 'x' } } });
    expect(tools.calls).toHaveLength(0);
  });
});

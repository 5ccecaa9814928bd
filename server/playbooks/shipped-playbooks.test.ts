// @vitest-environment node
/**
 * The shipped playbooks (playbooks/*.yaml) walked step by step over sample incidents, the way
 * the engine will: guards, for_each items, lock keys, approval gates and messages, and every
 * step's rendered inputs checked against its action's own input schema. A playbook whose
 * expressions fail on a real incident shape, or whose inputs an action would refuse, fails here
 * rather than in the middle of an incident.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from './actions/registry.ts';
import { evaluate, guard, renderTemplate } from './expr.ts';
import { loadPlaybooks, type LoadedPlaybook } from './loader.ts';
import { matchesIncident } from './match.ts';

interface Walked {
  state: 'succeeded' | 'skipped';
  inputs: Record<string, unknown>[];
  approval: { required: boolean; message: string } | null;
  keys: unknown[];
}

const SHA256 = 'a'.repeat(64);

function makeIncident(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '00000000-0000-4000-8000-000000000042',
    key: 'IR-2026-0042',
    title: 'Sample incident',
    description: '',
    status: 'triage',
    phase: 'detection_analysis',
    severity: 'S3',
    priority: 'P3',
    category: 'other',
    tlp: 'amber',
    assigned_to: null,
    reported_by: 'alice@example.com',
    created_by: 'u1',
    tags: [],
    affected_assets: ['ws-0142'],
    observables: [
      { kind: 'ip', value: '203.0.113.7' },
      { kind: 'ip', value: '198.51.100.23' },
      { kind: 'account', value: 'bob@example.com' },
      { kind: 'host', value: 'ws-0142' },
      { kind: 'hash', value: SHA256 },
      { kind: 'url', value: 'https://login.examp1e.com:8443/reset?u=bob' },
      { kind: 'domain', value: 'examp1e.com' },
      { kind: 'email', value: 'attacker@examp1e.com', note: 'Sender of the message' },
    ],
    custom_fields: { message_id: '<abc123@examp1e.com>', message_subject: 'Password reset' },
    risk: null,
    related_incidents: [],
    template_id: null,
    ...over,
  };
}

/** An incident that knows almost nothing: no observables, no reporter, no alert. */
const bareIncident = (): Record<string, unknown> => makeIncident({ observables: [], affected_assets: [], reported_by: null, custom_fields: {} });

const sampleAlert = {
  source: 'siem',
  type: 'auth.bruteforce',
  title: 'Many failed sign-ins',
  observables: { ips: ['203.0.113.7', '192.0.2.200'], accounts: ['bob@example.com'], hosts: ['PROD-db-01'], hashes: [SHA256] },
  context: { sender: 'attacker@examp1e.com' },
};

function fakeOutput(action: string, input: Record<string, unknown>, incident: Record<string, unknown>): unknown {
  switch (action) {
    case 'enrich.virustotal':
      return {
        kind: input.kind ?? (String(input.indicator).startsWith('http') ? 'url' : 'domain'),
        value: input.indicator,
        found: true,
        malicious: 5,
        suspicious: 0,
        harmless: 60,
        undetected: 10,
        reputation: -20,
      };
    case 'enrich.abuseipdb':
      return { ip: input.ip, abuse_confidence_score: 97, total_reports: 12, country_code: 'NL', is_whitelisted: false };
    case 'http.request':
      return { status: 201, headers: {}, body: { case_id: 'DLP-7' }, extracted: 'DLP-7' };
    case 'incident.set_status':
      return { from: incident.status, to: input.status, changed: true };
    case 'intel.lookup':
      return { values: input.values, matches: [] };
    default:
      return { ok: true };
  }
}

/** Walk a playbook's happy path (every action succeeds) over an incident and an alert. */
async function walk(p: LoadedPlaybook, incident: Record<string, unknown>, alert: Record<string, unknown> | null): Promise<Map<string, Walked>> {
  const steps: Record<string, { status: string; output: unknown }> = {};
  const walked = new Map<string, Walked>();
  const base = { incident, alert, trigger: { kind: 'manual' }, steps, run: { id: 'run-1', playbook_id: p.def.id, dry_run: false, started_by: 'u-lead' } };
  for (const id of p.order) {
    const s = p.steps.get(id);
    if (!s || s.handler) continue;
    const ready = s.spec.needs.every((n) => steps[n]?.status === 'succeeded' || steps[n]?.status === 'skipped');
    if (!ready || (s.if && !(await guard(s.if, base)))) {
      steps[id] = { status: 'skipped', output: null };
      walked.set(id, { state: 'skipped', inputs: [], approval: null, keys: [] });
      continue;
    }
    const approval = s.approval
      ? { required: s.approval.requiredIf ? await guard(s.approval.requiredIf, base) : true, message: String(await renderTemplate(s.approval.message, base)) }
      : null;
    const rawItems = s.forEach ? await evaluate(s.forEach.items, base) : [null];
    const items = rawItems === undefined || rawItems === null ? [] : Array.isArray(rawItems) ? rawItems : [rawItems];
    const inputs: Record<string, unknown>[] = [];
    const keys: unknown[] = [];
    const outputs: unknown[] = [];
    for (const [index, item] of items.entries()) {
      const ctx = s.forEach ? { ...base, item, index } : base;
      if (s.concurrencyKey) keys.push(await evaluate(s.concurrencyKey, ctx));
      const input = (await renderTemplate(s.with, ctx)) as Record<string, unknown>;
      const parsed = ACTIONS.get(s.spec.action)?.input.safeParse(input);
      expect(parsed?.success, `${p.def.id} ${id}: ${JSON.stringify(parsed?.error?.issues)} for ${JSON.stringify(input)}`).toBe(true);
      inputs.push(input);
      outputs.push(fakeOutput(s.spec.action, input, incident));
    }
    steps[id] = { status: 'succeeded', output: s.forEach ? outputs : (outputs[0] ?? null) };
    walked.set(id, { state: 'succeeded', inputs, approval, keys });
  }
  // Handlers run when their step fails: their inputs must be valid then too.
  for (const s of p.steps.values()) {
    if (!s.handler) continue;
    const input = await renderTemplate(s.with, base);
    expect(ACTIONS.get(s.spec.action)?.input.safeParse(input).success, `${p.def.id} handler ${s.spec.id}`).toBe(true);
  }
  return walked;
}

let byId: Map<string, LoadedPlaybook>;
beforeAll(async () => {
  const r = await loadPlaybooks(join(import.meta.dirname, '../../playbooks'), ACTIONS);
  expect(r.refused).toEqual([]);
  byId = new Map(r.playbooks.map((p) => [p.def.id, p]));
});
const pb = (id: string): LoadedPlaybook => {
  const p = byId.get(id);
  if (!p) throw new Error(`playbook ${id} not loaded`);
  return p;
};

describe('every shipped playbook', () => {
  it('evaluates and renders valid action inputs over a rich incident, a bare one, with and without an alert', async () => {
    for (const p of byId.values()) {
      const category = p.def.match.categories?.[0] ?? 'other';
      for (const incident of [makeIncident({ category }), bareIncident()]) {
        for (const alert of [sampleAlert, null]) await walk(p, { ...incident, category }, alert);
      }
    }
  });
});

describe('approval gates', () => {
  it('PB2: no gate in front of a destructive action approves on timeout', () => {
    const destructive = new Set([...ACTIONS.values()].filter((a) => a.destructive).map((a) => a.name));
    expect([...destructive].sort()).toEqual([
      'edr.block_hash',
      'edr.isolate_host',
      'firewall.block_ip',
      'identity.disable_account',
      'identity.reset_password',
      'identity.revoke_sessions',
      'mail.purge_message',
      'proxy.block_domain',
    ]);
    const approving: string[] = [];
    for (const p of byId.values()) {
      const steps = p.def.steps;
      for (const gate of steps.filter((s) => s.approval)) {
        // The gated step and every step that can run because of it (needs, on_error), transitively.
        const reached = new Set([gate.id]);
        for (let grew = true; grew;) {
          grew = false;
          for (const s of steps) {
            if (reached.has(s.id)) continue;
            if (s.needs.some((n) => reached.has(n)) || steps.some((x) => reached.has(x.id) && x.on_error === s.id)) {
              reached.add(s.id);
              grew = true;
            }
          }
        }
        const acts = steps.filter((s) => reached.has(s.id) && destructive.has(s.action));
        if (acts.length > 0 && gate.approval?.on_timeout === 'approve') approving.push(`${p.def.id}: ${gate.id}`);
        if (destructive.has(gate.action)) expect(['reject', 'fail'], `${p.def.id}: ${gate.id}`).toContain(gate.approval?.on_timeout);
      }
    }
    expect(approving).toEqual([]);
  });

  it('departed-employee-login escalates an account nobody approved disabling in time', () => {
    const disable = pb('departed-employee-login').steps.get('disable_account');
    expect(disable?.spec.approval?.on_timeout).toBe('fail');
    expect(disable?.spec.on_error).toBe('account_not_disabled');
    expect(pb('departed-employee-login').steps.get('account_not_disabled')?.spec.action).toBe('incident.add_tasks');
  });
});

describe('matching', () => {
  it('each playbook is offered for its own kind of incident only', async () => {
    const offered = async (incident: Record<string, unknown>) =>
      (await Promise.all([...byId.values()].map(async (p) => ((await matchesIncident(p, incident)) ? p.def.id : null)))).filter(Boolean).sort();
    expect(await offered(makeIncident({ category: 'account_compromise' }))).toEqual(['brute-force-privileged']);
    expect(await offered(makeIncident({ category: 'account_compromise', tags: ['departed-employee'] }))).toEqual([
      'brute-force-privileged',
      'departed-employee-login',
    ]);
    expect(await offered(makeIncident({ category: 'insider', custom_fields: { employment_status: 'departed' } }))).toEqual(['departed-employee-login']);
    expect(await offered(makeIncident({ category: 'phishing' }))).toEqual(['phishing']);
    expect(await offered(makeIncident({ category: 'ransomware' }))).toEqual(['ransomware']);
    expect(await offered(makeIncident({ category: 'malware' }))).toEqual(['malware-endpoint']);
    expect(await offered(makeIncident({ category: 'malware', observables: [] }))).toEqual([]);
    expect(await offered(makeIncident({ category: 'data_exfiltration' }))).toEqual(['data-exfiltration']);
    expect(await offered(makeIncident({ category: 'ddos' }))).toEqual([]);
  });
});

describe('brute-force-privileged', () => {
  it('gates the account disable only when the account is privileged, by any of the three conventions', async () => {
    const approvalFor = async (incident: Record<string, unknown>) =>
      (await walk(pb('brute-force-privileged'), incident, null)).get('disable_account')?.approval?.required;
    const base = { category: 'account_compromise' };
    expect(await approvalFor(makeIncident(base))).toBe(false);
    expect(await approvalFor(makeIncident({ ...base, tags: ['privileged'] }))).toBe(true);
    expect(await approvalFor(makeIncident({ ...base, custom_fields: { privileged_account: true } }))).toBe(true);
    expect(
      await approvalFor(
        makeIncident({ ...base, risk: { score: 80, severity: 'S2', model: 'v1', factors: [{ factor: 'privileged_account', points: 10, detail: '' }] } }),
      ),
    ).toBe(true);
  });

  it('enriches and blocks every source IP, disables the account, then moves to containment', async () => {
    const w = await walk(pb('brute-force-privileged'), makeIncident({ category: 'account_compromise', tags: ['privileged'] }), sampleAlert);
    expect(w.get('check_abuseipdb')?.inputs.map((i) => i.ip)).toEqual(['203.0.113.7', '198.51.100.23', '192.0.2.200']);
    expect(w.get('block_ip')?.inputs.map((i) => i.ip)).toEqual(['203.0.113.7', '198.51.100.23', '192.0.2.200']);
    expect(w.get('block_ip')?.keys).toEqual(['203.0.113.7', '198.51.100.23', '192.0.2.200']);
    expect(w.get('disable_account')?.inputs).toEqual([
      { account: 'bob@example.com', reason: 'Sentpilot IR-2026-0042: brute force from 203.0.113.7, 198.51.100.23' },
    ]);
    expect(w.get('disable_account')?.approval?.message).toContain('Disable the privileged account bob@example.com?');
    expect(w.get('to_triage')?.state).toBe('skipped');
    expect(w.get('contain')?.inputs).toEqual([{ status: 'containment', reason: 'Account disabled by playbook brute-force-privileged' }]);
    expect(w.get('summary')?.inputs[0]?.text).toMatch(/^Contained: disabled bob@example\.com \(1 account\(s\)\)/);
  });

  it('does not claim containment when no account is known', async () => {
    const w = await walk(pb('brute-force-privileged'), bareIncident(), null);
    expect(w.get('disable_account')?.state).toBe('skipped');
    expect(w.get('contain')?.state).toBe('skipped');
    expect(w.get('summary')?.state).toBe('skipped');
  });

  it('moves a new incident to triage first', async () => {
    const w = await walk(pb('brute-force-privileged'), makeIncident({ category: 'account_compromise', status: 'new' }), null);
    expect(w.get('to_triage')?.inputs).toEqual([{ status: 'triage', reason: 'Brute-force playbook started' }]);
  });
});

describe('phishing', () => {
  it('purges the message by id and sender, behind an approval at S1/S2 only', async () => {
    const s2 = await walk(pb('phishing'), makeIncident({ category: 'phishing', severity: 'S2' }), null);
    expect(s2.get('purge')?.approval?.required).toBe(true);
    expect(s2.get('purge')?.inputs[0]).toMatchObject({ message_id: '<abc123@examp1e.com>', sender: 'attacker@examp1e.com', subject: 'Password reset' });
    const s3 = await walk(pb('phishing'), makeIncident({ category: 'phishing', severity: 'S3' }), null);
    expect(s3.get('purge')?.approval?.required).toBe(false);
  });

  it('checks each URL and domain, blocks the malicious hosts, and mails the reporter', async () => {
    const w = await walk(pb('phishing'), makeIncident({ category: 'phishing' }), null);
    expect(w.get('virustotal')?.inputs.map((i) => i.indicator)).toEqual(['https://login.examp1e.com:8443/reset?u=bob', 'examp1e.com']);
    expect(w.get('block_domains')?.inputs.map((i) => i.domain)).toEqual(['login.examp1e.com', 'examp1e.com']);
    expect(w.get('notify_reporter')?.inputs[0]).toMatchObject({
      to: 'alice@example.com',
      subject: 'Your phishing report IR-2026-0042: the message was removed',
    });
  });

  it('skips the purge and the reporter mail when it knows neither message nor reporter', async () => {
    const w = await walk(pb('phishing'), bareIncident(), null);
    expect(w.get('purge')?.state).toBe('skipped');
    expect(w.get('notify_reporter')?.state).toBe('skipped');
  });
});

describe('ransomware', () => {
  it('gates the isolation when a host is production, and locks per host', async () => {
    const plain = await walk(pb('ransomware'), makeIncident({ category: 'ransomware' }), null);
    expect(plain.get('isolate_hosts')?.approval?.required).toBe(false);
    expect(plain.get('isolate_hosts')?.keys).toEqual(['ws-0142']);
    const prod = await walk(pb('ransomware'), makeIncident({ category: 'ransomware' }), sampleAlert);
    expect(prod.get('isolate_hosts')?.approval?.required).toBe(true);
    expect(prod.get('isolate_hosts')?.inputs.map((i) => i.host)).toEqual(['ws-0142', 'PROD-db-01']);
    expect(prod.get('isolate_hosts')?.keys).toEqual(['ws-0142', 'prod-db-01']);
    const tagged = await walk(pb('ransomware'), makeIncident({ category: 'ransomware', tags: ['production'] }), null);
    expect(tagged.get('isolate_hosts')?.approval?.required).toBe(true);
  });

  it('opens the ransomware checklist, blocks the hashes, captures memory after isolation', async () => {
    const w = await walk(pb('ransomware'), makeIncident({ category: 'ransomware' }), null);
    expect(w.get('checklist')?.inputs).toEqual([{ template: 'ransomware' }]);
    expect(w.get('block_hashes')?.inputs.map((i) => i.hash)).toEqual([SHA256]);
    expect(pb('ransomware').steps.get('collect_memory')?.spec.needs).toEqual(['isolate_hosts']);
    expect(w.get('contain')?.state).toBe('succeeded');
  });

  it('does not claim containment when no host is known', async () => {
    const w = await walk(pb('ransomware'), bareIncident(), null);
    expect(w.get('isolate_hosts')?.state).toBe('skipped');
    expect(w.get('contain')?.state).toBe('skipped');
    expect(w.get('summary')?.state).toBe('skipped');
  });
});

describe('data-exfiltration', () => {
  it('sends the DLP case as JSON with the destinations, and records the case id', async () => {
    const w = await walk(pb('data-exfiltration'), makeIncident({ category: 'data_exfiltration' }), null);
    expect(w.get('dlp_case')?.inputs[0]).toMatchObject({
      method: 'POST',
      auth: { secret: 'DLP_TOKEN', scheme: 'bearer' },
      body: {
        incident: 'IR-2026-0042',
        destinations: ['203.0.113.7', '198.51.100.23', 'examp1e.com'],
        accounts: ['bob@example.com'],
        hosts: ['ws-0142', 'ws-0142'],
      },
      extract: 'body.case_id',
    });
    expect(w.get('dlp_recorded')?.inputs[0]?.text).toBe('DLP case DLP-7 opened for this incident.');
    expect(w.get('confirm_block')?.approval?.required).toBe(true);
  });
});

describe('departed-employee-login', () => {
  it('matches only a departed employee, and disables, revokes and tells HR', async () => {
    const w = await walk(pb('departed-employee-login'), makeIncident({ category: 'insider', tags: ['departed-employee'] }), null);
    expect(w.get('disable_account')?.inputs.map((i) => i.account)).toEqual(['bob@example.com']);
    expect(w.get('revoke_sessions')?.inputs.map((i) => i.account)).toEqual(['bob@example.com']);
    expect(w.get('notify_hr')?.inputs[0]?.to).toBe('hr-security@example.com');
    expect(w.get('contain')?.inputs[0]?.status).toBe('containment');
  });
});

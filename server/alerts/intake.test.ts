// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertMappingInputSchema, type AlertInput } from '../../shared/alerts-api.ts';
import { DomainError } from '../../shared/errors.ts';
import { parseCsv, parseAssetCsv } from '../assets/csv-import.ts';
import { at, isoTime } from './adapters/payload.ts';
import { intakeItems, parseFormat } from './intake.ts';
import { alertObservables, fingerprint } from './normalize.ts';

const sample = (name: string): string => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const ok = (r: { alert: { ok: boolean; value?: AlertInput } }): AlertInput => {
  expect(r.alert.ok).toBe(true);
  return r.alert.value as AlertInput;
};

describe('AL2: adapters', () => {
  it('Suricata EVE NDJSON: alerts become native, the flow, dns, tls, stats and anomaly lines are ignored naming their event_type', () => {
    const items = intakeItems(sample('suricata-eve.ndjson'), parseFormat('suricata'), null);
    expect(items).toHaveLength(7);
    const a = ok(items[0]!);
    expect(a).toMatchObject({
      source: 'suricata',
      title: 'ET MALWARE Cobalt Strike Beacon Observed',
      type: 'A Network Trojan was detected',
      impact: 5,
      observed_at: '2026-11-20T09:14:22.418Z',
    });
    expect(a.observables?.ips).toEqual(['10.0.4.23', '185.220.101.47']);
    expect(a.observables?.domains).toEqual(['update-check.badcdn.example']);
    expect(a.context).toMatchObject({ signature_id: 2027865, sensor: 'sensor-dmz-1', app_proto: 'tls' });
    expect(items[1]).toMatchObject({ ignored: true, alert: { ok: false, error: ['ignored: event_type flow'] } });
    expect(items.slice(3).map((i) => [i.ignored, i.alert.ok ? null : i.alert.error])).toEqual([
      [true, ['ignored: event_type dns']],
      [true, ['ignored: event_type tls']],
      [true, ['ignored: event_type stats']],
      [true, ['ignored: event_type anomaly']],
    ]);
    const b = ok(items[2]!);
    expect(b.impact).toBe(2);
    expect(b.observables?.urls).toEqual(['http://files.example.net/payload.exe']);
    expect(b.observables?.hashes).toEqual(['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']);
    expect(items[0]!.raw).toMatchObject({ flow_id: 1234567890123456 });
  });

  it('Suricata: an event without an event_type, or with one no EVE writes, still fails', () => {
    const items = intakeItems(['{"src_ip":"10.0.0.1"}', JSON.stringify({ event_type: 'not <an> event type' })].join('\n'), parseFormat('suricata'), null);
    expect(items.map((i) => [i.ignored ?? false, i.alert])).toEqual([
      [false, { ok: false, error: ['event_type: expected "alert", got nothing'] }],
      [false, { ok: false, error: ['event_type: expected "alert", got "not <an> event type"'] }],
    ]);
  });

  it('IN6: Suricata IPv6 written zero-padded is stored in RFC 5952 short form, for native alerts too', () => {
    const eve = {
      timestamp: '2026-11-20T09:14:22.418+0000',
      event_type: 'alert',
      src_ip: '2001:0db8:0000:0000:0000:ff00:0042:8329',
      src_port: 51514,
      dest_ip: 'FE80:0000:0000:0000:0202:B3FF:FE1E:8329',
      dest_port: 443,
      proto: 'TCP',
      alert: { action: 'allowed', signature_id: 2027865, rev: 3, signature: 'ET MALWARE Test Beacon', category: 'A Network Trojan was detected', severity: 1 },
    };
    const a = ok(intakeItems(JSON.stringify(eve), parseFormat('suricata'), null)[0]!);
    expect(a.observables?.ips).toEqual(['2001:db8::ff00:42:8329', 'fe80::202:b3ff:fe1e:8329']);
    expect(
      alertObservables(a)
        .filter((o) => o.kind === 'ip')
        .map((o) => o.value),
    ).toEqual(['2001:db8::ff00:42:8329', 'fe80::202:b3ff:fe1e:8329']);
    const native = ok(
      intakeItems(
        JSON.stringify({
          source: 'edr',
          type: 'c2',
          title: 'beacon',
          impact: 3,
          likelihood: 3,
          confidence: 3,
          observables: { ips: ['2001:db8:0:0:1:0:0:1', '2001:0db8::0001:0:0:1', '10.0.0.1'] },
        }),
        parseFormat(undefined),
        null,
      )[0]!,
    );
    expect(native.observables?.ips).toEqual(['2001:db8::1:0:0:1', '10.0.0.1']);
  });

  it('Wazuh: level → impact, agent → host, srcip/dstuser, id as external id', () => {
    const [item] = intakeItems(sample('wazuh-alert.json'), parseFormat('wazuh'), null);
    const a = ok(item!);
    expect(a).toMatchObject({
      source: 'wazuh',
      type: 'syslog',
      impact: 4,
      likelihood: 4,
      external_id: '1763630441.1187302',
      observed_at: '2026-11-20T09:20:41.512Z',
    });
    expect(a.observables).toEqual({ ips: ['198.51.100.77'], accounts: ['root'], hosts: ['web-prod-01'] });
    expect(a.title).toContain('brute force');
    const bad = intakeItems(JSON.stringify({ rule: { level: 22 } }), parseFormat('wazuh'), null);
    expect(bad[0]!.alert).toEqual({ ok: false, error: ['rule.description: required', 'rule.level: expected 0-15, got 22'] });
  });

  it('Elastic ECS: flattened kibana.* keys, nested host/user, risk score → impact, _source unwrapped', () => {
    const [item] = intakeItems(sample('ecs-alert.json'), parseFormat('ecs'), null);
    const a = ok(item!);
    expect(a).toMatchObject({
      source: 'elastic',
      title: 'Suspicious PowerShell Encoded Command',
      severity: 'high',
      impact: 4,
      observed_at: '2026-11-20T09:30:58.000Z',
    });
    expect(a.observables?.hosts).toEqual(['FIN-LAPTOP-22']);
    expect(a.observables?.accounts).toEqual(['jdoe']);
    expect(a.observables?.ips).toEqual(['10.0.9.22', '192.0.2.44', 'fe80::1c2b:3a4d:5e6f:7081']);
    expect(a.observables?.hashes).toHaveLength(1);
    const search = JSON.stringify({ hits: { hits: [JSON.parse(sample('ecs-alert.json')), { _source: { 'kibana.alert.severity': 'low' } }] } });
    const two = intakeItems(search, parseFormat('ecs'), null);
    expect(two.map((i) => i.alert.ok)).toEqual([true, false]);
  });

  it('Elastic 7.x detection signal: signal.original_time is the observed time, signal.reason the description', () => {
    const hit = {
      _index: '.siem-signals-default-000001',
      _id: '4b1d5c0e9f7a',
      _source: {
        '@timestamp': '2026-11-20T09:36:00.512Z',
        host: { name: 'WEB-07', ip: ['10.0.7.12'] },
        user: { name: 'svc_backup' },
        event: { category: 'process', action: 'start' },
        signal: {
          original_time: '2026-11-20T09:31:12.004Z',
          reason: 'process event with process certutil.exe, by svc_backup on WEB-07 created medium alert Certutil Download.',
          status: 'open',
          rule: {
            id: '0f4e6a20-2b1c-11ee-9d77-6f1b0c5c0a10',
            rule_id: 'fd7a6052-58fa-4397-93c3-4795249ccfa2',
            name: 'Certutil Download',
            description: 'Identifies certutil.exe used to download a file.',
            severity: 'medium',
            risk_score: 47,
            type: 'query',
            threat: [{ framework: 'MITRE ATT&CK', tactic: { id: 'TA0011', name: 'Command and Control' } }],
          },
        },
      },
    };
    const a = ok(intakeItems(JSON.stringify(hit), parseFormat('ecs'), null)[0]!);
    expect(a).toMatchObject({
      source: 'elastic',
      title: 'Certutil Download',
      observed_at: '2026-11-20T09:31:12.004Z',
      detected_at: '2026-11-20T09:36:00.512Z',
      description: 'process event with process certutil.exe, by svc_backup on WEB-07 created medium alert Certutil Download.',
      severity: 'medium',
      external_id: '4b1d5c0e9f7a',
    });
    expect(a.context).toMatchObject({ rule_id: 'fd7a6052-58fa-4397-93c3-4795249ccfa2', severity: 'medium', tactic: 'Command and Control' });
  });

  it('webhook mapping: pointers and dotted paths, lists, 0-100 scale, severity map, items_path', () => {
    const mapping = {
      ...alertMappingInputSchema.parse({
        name: 'edr',
        items_path: 'events',
        fields: {
          title: '/detection/name',
          external_id: 'detection.id',
          impact: 'detection.score',
          'observables.hosts': ['device.hostname'],
          'observables.ips': ['device.ips', 'remote.ip'],
          severity: 'detection.prio',
        },
        defaults: { source: 'edr-x', type: 'detection' },
        severity_map: { P1: 'critical' },
      }),
      id: '0190aaaa-0000-7000-8000-000000000001',
      updated_at: new Date().toISOString(),
    };
    const body = JSON.stringify({
      events: [
        {
          detection: { name: 'Mimikatz', id: 'd-1', score: 90, prio: 'P1' },
          device: { hostname: 'DC01', ips: ['10.1.1.1', 'junk'] },
          remote: { ip: '10.1.1.2' },
        },
        { detection: {} },
      ],
    });
    const items = intakeItems(body, parseFormat(`webhook:${mapping.id}`), mapping);
    const a = ok(items[0]!);
    expect(a).toMatchObject({
      source: 'edr-x',
      type: 'detection',
      title: 'Mimikatz',
      external_id: 'd-1',
      impact: 5,
      severity: 'critical',
      observables: { hosts: ['DC01'], ips: ['10.1.1.1', '10.1.1.2'] },
    });
    expect(items[1]!.alert).toEqual({ ok: false, error: ['title: Invalid input: expected string, received undefined'] });
    expect(items[0]!.format).toBe(`webhook:${mapping.id}`);
  });
});

describe('native intake', () => {
  it('AL1: one alert, a bare array, or { alerts }', () => {
    const one = { source: 's', type: 't', title: 'x' };
    expect(intakeItems(JSON.stringify(one), parseFormat(undefined), null)).toHaveLength(1);
    expect(intakeItems(JSON.stringify([one, one]), parseFormat('native'), null)).toHaveLength(2);
    expect(intakeItems(JSON.stringify({ alerts: [one, one, one] }), parseFormat(undefined), null)).toHaveLength(3);
  });

  it('AL1: names each wrong field', () => {
    const [item] = intakeItems(
      JSON.stringify({ source: 's', type: 't', title: 5, impact: 9, observables: { ips: ['1.2.3.4', 'nope'] }, extra: 1 }),
      parseFormat(undefined),
      null,
    );
    expect(item!.alert.ok).toBe(false);
    const errors = (item!.alert as { error: string[] }).error.join('\n');
    expect(errors).toContain('title:');
    expect(errors).toContain('impact:');
    expect(errors).toContain('observables.ips.1:');
    expect(errors).toContain('unknown field "extra"');
  });

  it('AL1: fails only the event holding a lone surrogate or NUL, naming its field', () => {
    const good = { source: 's', type: 't', title: 'fine' };
    const body = JSON.stringify([good, { ...good, title: 'bad\ud800' }, { ...good, context: { cmd: 'a\u0000b' } }]);
    const items = intakeItems(body, parseFormat(undefined), null);
    expect(items[0]!.alert.ok).toBe(true);
    expect(items[1]!.alert).toEqual({ ok: false, error: [expect.stringMatching(/^event field "title": contains a lone UTF-16 surrogate/)] });
    expect(items[2]!.alert).toEqual({ ok: false, error: [expect.stringMatching(/^event field "context\.cmd": contains a NUL character/)] });
  });

  it('AL1: fails only the event nested thousands of levels deep, in any format', () => {
    const good = { source: 's', type: 't', title: 'fine' };
    const deep = `{"source":"s","type":"t","title":"deep","context":${'{"d":['.repeat(5_000)}0${']}'.repeat(5_000)}}`;
    const items = intakeItems(`[${JSON.stringify(good)},${deep}]`, parseFormat(undefined), null);
    expect(items[0]!.alert.ok).toBe(true);
    expect(items[1]!.alert).toEqual({ ok: false, error: [expect.stringMatching(/^event: nested deeper than 64 levels/)] });
    const [suricata] = intakeItems(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`, parseFormat('suricata'), null);
    expect(suricata!.alert.ok).toBe(false);
  });

  it('AL1: refuses unknown formats naming them, more than 1,000 alerts with 413, invalid JSON with 400', () => {
    expect(() => parseFormat('splunk')).toThrow(/unknown format "splunk"/);
    expect(() => parseFormat('webhook:nope')).toThrow(/not a UUID/);
    const many = JSON.stringify({ alerts: Array.from({ length: 1_001 }, () => ({ source: 's', type: 't', title: 'x' })) });
    try {
      intakeItems(many, parseFormat(undefined), null);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('payload_too_large');
    }
    expect(() => intakeItems('{"source":', parseFormat(undefined), null)).toThrow(/not valid JSON/);
  });

  it('AL4: fingerprints: content, order-insensitive observables, or external id', () => {
    const a: AlertInput = { source: 'S', type: 't', title: 'Hello', observables: { ips: ['1.1.1.1', '2.2.2.2'] } };
    expect(fingerprint(a)).toBe(fingerprint({ ...a, source: 's', title: ' hello ', observables: { ips: ['2.2.2.2', '1.1.1.1'] } }));
    expect(fingerprint(a)).not.toBe(fingerprint({ ...a, observables: { ips: ['1.1.1.1'] } }));
    expect(fingerprint({ ...a, external_id: 'x' })).toBe(fingerprint({ ...a, title: 'other', external_id: 'x' }));
  });
});

describe('helpers', () => {
  it('paths and times', () => {
    expect(at({ 'kibana.alert': { rule: { name: 'n' } } }, 'kibana.alert.rule.name')).toBe('n');
    expect(at({ a: [{ b: 1 }] }, '/a/0/b')).toBe(1);
    expect(at({ 'a/b': 2 }, '/a~1b')).toBe(2);
    expect(at({}, '__proto__')).toBeUndefined();
    expect(isoTime('2026-11-20T09:14:22.418731+0000')).toBe('2026-11-20T09:14:22.418Z');
    expect(isoTime(1_763_630_441)).toBe('2025-11-20T09:20:41.000Z');
    expect(isoTime('garbage')).toBeUndefined();
  });

  it('asset CSV: quoting, bad rows reported by line', () => {
    expect(parseCsv('a,"b,c","d ""q"""\r\n1,2,3')).toEqual([
      ['a', 'b,c', 'd "q"'],
      ['1', '2', '3'],
    ]);
    const csv =
      'kind,name,criticality,privileged,owner,tags\nhost,DC01,5,false,it-ops,"tier0;ad"\naccount,svc-backup,4,yes,,\nprinter,x,3,false,,\nhost,web,9,false,,\nhost,db,2,maybe,,\n';
    const r = parseAssetCsv(csv);
    expect(r.assets).toEqual([
      { kind: 'host', name: 'dc01', criticality: 5, privileged: false, owner: 'it-ops', tags: ['tier0', 'ad'] },
      { kind: 'account', name: 'svc-backup', criticality: 4, privileged: true, owner: null, tags: [] },
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 5, 6]);
    expect(r.errors[0]!.message).toContain('kind');
    expect(parseAssetCsv('name,kind\nx,host').errors[0]!.message).toContain('criticality');
  });
});

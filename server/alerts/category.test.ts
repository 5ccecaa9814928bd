// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AlertInput } from '../../shared/alerts-api.ts';
import { alertCategory } from './category.ts';
import { intakeItems, parseFormat } from './intake.ts';

const sample = (name: string): string => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const first = (text: string, format: string): AlertInput => {
  const r = intakeItems(text, parseFormat(format), null)[0]!.alert;
  if (!r.ok) throw new Error(String(r.error));
  return r.value;
};

describe('AL5: the category an alert suggests', () => {
  it('takes the category the sender named', () => {
    expect(alertCategory({ type: 'x', title: 'Beacon to C2', category: 'insider' })).toBe('insider');
    expect(alertCategory({ type: 'x', title: 'Beacon to C2', category: 'unclassified' })).toBe('malware');
  });

  it('infers it from the type and title, the most specific first', () => {
    const cases: [string, string, string | null][] = [
      ['edr', 'Ransomware behaviour: mass file encryption on fs-01', 'ransomware'],
      ['mail', 'Inbox rule forwarding to an external address (BEC)', 'business_email_compromise'],
      ['mail', 'User reported phishing: Invoice 4411', 'phishing'],
      ['dlp', 'Large outbound transfer to a personal cloud drive', 'data_exfiltration'],
      ['auth', 'Password spray against 40 accounts', 'account_compromise'],
      ['authentication_failures', 'Multiple failed logins for admin', 'account_compromise'],
      ['ids', 'SYN flood towards www', 'ddos'],
      ['A Network Trojan was detected', 'ET MALWARE something', 'malware'],
      ['scanner', 'Exploit attempt CVE-2024-3400 on the VPN gateway', 'vulnerability'],
      ['edr', 'Suspicious PowerShell Encoded Command', null],
      ['net', 'Rat poison purchase approved', null],
    ];
    for (const [type, title, expected] of cases) expect(alertCategory({ type, title }), title).toBe(expected);
  });

  it('gives the shipped sample events of each tool a category, where their words allow one', () => {
    expect(alertCategory(first(sample('suricata-eve.ndjson'), 'suricata'))).toBe('malware');
    expect(alertCategory(first(sample('wazuh-alert.json'), 'wazuh'))).toBe('account_compromise');
    expect(alertCategory(first(sample('ecs-alert.json'), 'ecs'))).toBeNull();
  });
});

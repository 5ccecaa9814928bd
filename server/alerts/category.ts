/**
 * The incident category an alert suggests: the `category` the sender named, else the first
 * rule below whose words appear in the alert's type or title ("ET MALWARE Cobalt Strike Beacon",
 * Suricata's "A Network Trojan was detected", Wazuh's "sshd: brute force…"). Without a category
 * the incident stays unclassified and playbooks that match on categories would never start for
 * alert-born incidents. Rules are ordered from the most specific (ransomware before malware,
 * business e-mail compromise before phishing).
 */
import type { AlertInput } from '../../shared/alerts-api.ts';
import type { Category } from '../../shared/incident-schema.ts';

const RULES: readonly [Exclude<Category, 'unclassified'>, RegExp][] = [
  ['ransomware', /ransom|crypto-?locker|file encryption burst|lockbit|ryuk|conti\b/],
  ['business_email_compromise', /\bbec\b|business e-?mail compromise|invoice fraud|wire fraud|(inbox|mailbox|forwarding) rule/],
  ['phishing', /phish|credential harvest|spoofed (sender|mail|e-?mail)|malicious (link|attachment) in (mail|e-?mail)/],
  ['data_exfiltration', /exfiltrat|data (theft|leak|loss)|\bdlp\b|large (upload|outbound transfer)/],
  [
    'account_compromise',
    /brute[- _]?force|password spray|credential stuffing|authentication[_ ]fail|failed (login|logon|sign-?in)s?|impossible travel|account (compromise|takeover)|suspicious (sign-?in|login|logon)|mfa (fatigue|bombing)/,
  ],
  ['ddos', /\bddos\b|denial[- ]of[- ]service|\b(syn|udp|icmp|http) flood/],
  [
    'malware',
    /malware|trojan|virus|\bworm\b|backdoor|remote access (trojan|tool)|cobalt ?strike|beacon|command[- ]and[- ]control|\bc2\b|dropper|infostealer|keylogger/,
  ],
  ['insider', /insider/],
  ['lost_device', /lost (device|laptop|phone)|stolen (device|laptop|phone)/],
  ['vulnerability', /vulnerab|\bcve-\d{4}-\d+|exploit(ation)? attempt/],
];

export function alertCategory(alert: Pick<AlertInput, 'type' | 'title'> & { category?: Category }): Category | null {
  if (alert.category && alert.category !== 'unclassified') return alert.category;
  const text = `${alert.type} ${alert.title}`.toLowerCase();
  for (const [category, words] of RULES) if (words.test(text)) return category;
  return null;
}

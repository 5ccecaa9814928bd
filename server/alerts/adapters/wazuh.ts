/**
 * Wazuh alerts (alerts.json lines or the integration's payload) → native alerts. Rule level
 * 0-15 sets impact (≥12 → 5, ≥10 → 4, ≥7 → 3, ≥4 → 2, else 1); a MITRE mapping raises likelihood.
 */
import { err, ok } from '../../../shared/result.ts';
import { at, compact, isRecord, isoTime, num, str, strings, type AdapterResult } from './payload.ts';

function impactForLevel(level: number): number {
  if (level >= 12) return 5;
  if (level >= 10) return 4;
  if (level >= 7) return 3;
  if (level >= 4) return 2;
  return 1;
}

export function fromWazuh(e: unknown): AdapterResult {
  if (!isRecord(e)) return err(['event: expected a JSON object']);
  const description = str(e, 'rule.description');
  const level = num(e, 'rule.level');
  const errors: string[] = [];
  if (!description) errors.push('rule.description: required');
  if (level === undefined) errors.push('rule.level: required (0-15)');
  else if (level < 0 || level > 15) errors.push(`rule.level: expected 0-15, got ${level}`);
  if (errors.length || description === undefined || level === undefined) return err(errors);
  const groups = strings(e, 'rule.groups');
  const fullLog = str(e, 'full_log');
  return ok(
    compact({
      source: 'wazuh',
      type: groups[0] ?? `rule-${str(e, 'rule.id') ?? 'unknown'}`,
      title: description,
      impact: impactForLevel(level),
      likelihood: at(e, 'rule.mitre') !== undefined ? 4 : 3,
      confidence: 3,
      observed_at: isoTime(e['timestamp']),
      external_id: str(e, 'id'),
      observables: {
        ips: strings(e, 'data.srcip', 'data.dstip'),
        accounts: strings(e, 'data.srcuser', 'data.dstuser', 'data.win.eventdata.targetUserName', 'syscheck.uname_after'),
        hosts: strings(e, 'agent.name'),
        hashes: strings(e, 'syscheck.sha256_after', 'syscheck.sha1_after', 'syscheck.md5_after'),
      },
      context: compact({
        rule_id: str(e, 'rule.id'),
        level,
        groups,
        mitre: at(e, 'rule.mitre.id'),
        agent_ip: str(e, 'agent.ip'),
        manager: str(e, 'manager.name'),
        location: str(e, 'location'),
        decoder: str(e, 'decoder.name'),
        file: str(e, 'syscheck.path'),
        event: str(e, 'syscheck.event'),
        full_log: fullLog ? fullLog.slice(0, 4_000) : undefined,
      }),
    }),
  );
}

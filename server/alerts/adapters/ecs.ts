/**
 * Elastic Security alerts (ECS documents from .alerts-security.alerts-*, nested or with
 * flattened dotted keys, or a search hit with `_source`) → native alerts. `kibana.alert.severity`
 * gives the severity; `kibana.alert.risk_score` (0-100) gives impact when present. Elastic 7.x
 * detection signals (.siem-signals-*) carry the same under `signal.*`: `signal.original_time` is
 * when the source event happened (`@timestamp` is when the rule ran), `signal.reason` the sentence
 * the rule wrote about this event.
 */
import { err, ok } from '../../../shared/result.ts';
import { compact, isRecord, isoTime, level5, num, severityWord, str, strings, type AdapterResult } from './payload.ts';

export function fromEcs(input: unknown): AdapterResult {
  if (!isRecord(input)) return err(['event: expected a JSON object']);
  const e = isRecord(input['_source']) ? input['_source'] : input;
  const name = str(e, 'kibana.alert.rule.name', 'signal.rule.name', 'rule.name');
  if (!name) return err(['kibana.alert.rule.name: required']);
  const risk = num(e, 'kibana.alert.risk_score', 'signal.rule.risk_score');
  const severity = severityWord(str(e, 'kibana.alert.severity', 'signal.rule.severity'));
  return ok(
    compact({
      source: 'elastic',
      type: str(e, 'kibana.alert.rule.category', 'kibana.alert.rule.type', 'signal.rule.type', 'event.category') ?? 'alert',
      title: name,
      description: str(e, 'kibana.alert.reason', 'signal.reason', 'kibana.alert.rule.description', 'signal.rule.description'),
      severity,
      impact: risk !== undefined ? level5(risk) : undefined,
      likelihood: 3,
      confidence: 4,
      observed_at: isoTime(str(e, 'kibana.alert.original_time', 'signal.original_time', '@timestamp')),
      detected_at: isoTime(str(e, '@timestamp')),
      external_id: str(e, 'kibana.alert.uuid') ?? str(input, '_id'),
      observables: {
        ips: strings(e, 'source.ip', 'destination.ip', 'host.ip', 'client.ip', 'server.ip'),
        domains: strings(e, 'dns.question.name', 'url.domain', 'destination.domain'),
        urls: strings(e, 'url.full'),
        hashes: strings(e, 'file.hash.sha256', 'file.hash.sha1', 'file.hash.md5', 'process.hash.sha256', 'process.hash.md5'),
        accounts: strings(e, 'user.name', 'user.target.name'),
        hosts: strings(e, 'host.name'),
      },
      context: compact({
        rule_id: str(e, 'kibana.alert.rule.rule_id', 'kibana.alert.rule.uuid', 'signal.rule.rule_id', 'signal.rule.id'),
        risk_score: risk,
        severity: str(e, 'kibana.alert.severity', 'signal.rule.severity'),
        tactic: str(e, 'kibana.alert.rule.threat.0.tactic.name', 'signal.rule.threat.0.tactic.name', 'threat.tactic.name'),
        process: str(e, 'process.name'),
        command_line: str(e, 'process.command_line')?.slice(0, 2_000),
        file: str(e, 'file.path'),
        event_action: str(e, 'event.action'),
      }),
    }),
  );
}

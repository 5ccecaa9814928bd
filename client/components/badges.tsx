/** Small visual markers: severity, status and TLP badges (text always present, not colour only). */
import type { JSX } from 'solid-js';
import type { Severity, Tlp } from '../../shared/incident-schema.ts';
import type { Status } from '../../shared/workflow.ts';
import { severityShort, statusLabel, tlpLabel } from './labels.ts';

export function SeverityBadge(props: { severity: Severity; long?: boolean }): JSX.Element {
  return (
    <span class="badge sev" data-sev={props.severity} title={`Severity ${props.severity}: ${severityShort(props.severity)}`}>
      {props.severity}
      {props.long ? ` ${severityShort(props.severity)}` : ''}
    </span>
  );
}

export function StatusBadge(props: { status: Status }): JSX.Element {
  return (
    <span class="badge status" data-status={props.status}>
      {statusLabel(props.status)}
    </span>
  );
}

export function TlpBadge(props: { tlp: Tlp }): JSX.Element {
  return (
    <span class="badge tlp" data-tlp={props.tlp}>
      {tlpLabel(props.tlp)}
    </span>
  );
}

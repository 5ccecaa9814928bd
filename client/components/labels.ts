/** Display labels for the incident vocabulary (the values themselves live in shared/). */
import type { Category, Priority, Severity, Tlp, TimelineKind } from '../../shared/incident-schema.ts';
import { SEVERITY_LABELS } from '../../shared/incident-schema.ts';
import { STATUS_LABELS, type Status } from '../../shared/workflow.ts';

export const statusLabel = (s: Status): string => STATUS_LABELS[s];
export const severityLabel = (s: Severity): string => SEVERITY_LABELS[s];

const SEVERITY_SHORT = { S1: 'Critical', S2: 'High', S3: 'Medium', S4: 'Low', S5: 'Info' } as const satisfies Record<Severity, string>;
export const severityShort = (s: Severity): string => SEVERITY_SHORT[s];

const PRIORITY_LABELS = { P1: 'P1 Urgent', P2: 'P2 High', P3: 'P3 Normal', P4: 'P4 Low' } as const satisfies Record<Priority, string>;
export const priorityLabel = (p: Priority): string => PRIORITY_LABELS[p];

const CATEGORY_LABELS = {
  unclassified: 'Unclassified',
  malware: 'Malware',
  ransomware: 'Ransomware',
  phishing: 'Phishing',
  business_email_compromise: 'Business email compromise',
  account_compromise: 'Account compromise',
  ddos: 'DDoS',
  data_exfiltration: 'Data exfiltration',
  insider: 'Insider threat',
  lost_device: 'Lost or stolen device',
  vulnerability: 'Vulnerability',
  other: 'Other',
} as const satisfies Record<Category, string>;
export const categoryLabel = (c: Category): string => CATEGORY_LABELS[c];

export const tlpLabel = (t: Tlp): string => `TLP:${t.toUpperCase()}`;

const KIND_LABELS = {
  note: 'Note',
  status_change: 'Status',
  field_change: 'Change',
  alert: 'Alert',
  automation: 'Automation',
  evidence: 'Evidence',
  chat: 'Chat',
  system: 'System',
} as const satisfies Record<TimelineKind, string>;
export const kindLabel = (k: TimelineKind): string => KIND_LABELS[k];

const FIELD_LABELS: Record<string, string> = {
  severity: 'Severity',
  priority: 'Priority',
  category: 'Category',
  assignee: 'Assignee',
  tlp: 'TLP',
  containedAt: 'Contained time',
  resolvedAt: 'Resolved time',
};
export const fieldLabel = (name: string): string => FIELD_LABELS[name] ?? name;

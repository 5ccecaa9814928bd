/**
 * Incident templates per type (pre-filled category, severity, tags and a task checklist) and the
 * custom field definitions a lead sets per category, with the pure check PATCH runs on
 * `custom_fields` against them.
 */
import { z } from 'zod';
import { CATEGORIES, type Category, type Severity } from './incident-schema.ts';
import { err, ok, type Result } from './result.ts';

export interface IncidentTemplate {
  id: string;
  label: string;
  category: Category;
  severity: Severity;
  tags: readonly string[];
  tasks: readonly string[];
}

export const TEMPLATES = {
  ransomware: {
    id: 'ransomware',
    label: 'Ransomware',
    category: 'ransomware',
    severity: 'S1',
    tags: ['ransomware', 'malware'],
    tasks: [
      'Isolate affected hosts from the network',
      'Identify the ransomware strain and ransom note',
      'Disable compromised accounts and reset credentials',
      'Check backups are intact and offline',
      'Preserve memory and disk images of a patient-zero host',
      'Decide on notification (regulators, customers, insurer)',
      'Restore from clean backups and monitor for reinfection',
    ],
  },
  business_email_compromise: {
    id: 'business_email_compromise',
    label: 'Business email compromise',
    category: 'business_email_compromise',
    severity: 'S2',
    tags: ['bec', 'email'],
    tasks: [
      'Reset the mailbox password and revoke sessions',
      'Review and remove malicious inbox rules and forwarding',
      'Contact the bank to recall fraudulent payments',
      'Search for the same sender across all mailboxes',
      'Enforce MFA on the affected account',
    ],
  },
  phishing: {
    id: 'phishing',
    label: 'Phishing',
    category: 'phishing',
    severity: 'S3',
    tags: ['phishing', 'email'],
    tasks: [
      'Collect the original message with headers',
      'Block sender, domains and URLs',
      'Purge the message from all mailboxes',
      'Identify users who clicked or entered credentials',
      'Reset credentials of affected users',
    ],
  },
  malware: {
    id: 'malware',
    label: 'Malware',
    category: 'malware',
    severity: 'S2',
    tags: ['malware'],
    tasks: [
      'Isolate the infected host',
      'Collect the sample and its hashes',
      'Sweep the fleet for the indicators',
      'Reimage or clean the host',
      'Confirm no persistence remains',
    ],
  },
  ddos: {
    id: 'ddos',
    label: 'DDoS',
    category: 'ddos',
    severity: 'S2',
    tags: ['ddos', 'availability'],
    tasks: [
      'Confirm the attack and its vectors',
      'Engage the upstream provider / scrubbing service',
      'Apply rate limits and filtering',
      'Communicate service status',
      'Review capacity and protections afterwards',
    ],
  },
  insider: {
    id: 'insider',
    label: 'Insider threat',
    category: 'insider',
    severity: 'S2',
    tags: ['insider'],
    tasks: [
      'Involve HR and legal before acting',
      'Preserve logs and evidence discreetly',
      'Review the access of the person concerned',
      'Restrict or revoke access as decided',
      'Document the chain of custody',
    ],
  },
  lost_device: {
    id: 'lost_device',
    label: 'Lost or stolen device',
    category: 'lost_device',
    severity: 'S3',
    tags: ['lost_device'],
    tasks: [
      'Remote-lock or wipe the device',
      'Revoke the device certificates and sessions',
      'Check disk encryption status',
      'Assess whether personal data was on the device',
      'File a police report if stolen',
    ],
  },
} as const satisfies Record<string, IncidentTemplate>;

export type TemplateId = keyof typeof TEMPLATES;
export const TEMPLATE_IDS = Object.keys(TEMPLATES) as [TemplateId, ...TemplateId[]];

export function templateFor(id: string): IncidentTemplate | null {
  return Object.hasOwn(TEMPLATES, id) ? TEMPLATES[id as TemplateId] : null;
}

export const CUSTOM_FIELD_TYPES = ['string', 'number', 'boolean', 'date', 'select'] as const;

const customFieldDefSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,59}$/, 'lower-case letters, digits and _ (start with a letter)'),
    label: z.string().min(1).max(120).optional(),
    type: z.enum(CUSTOM_FIELD_TYPES),
    options: z.array(z.string().min(1).max(200)).max(100).optional(),
    required: z.boolean().default(false),
  })
  .strict()
  .refine((d) => d.type !== 'select' || (d.options?.length ?? 0) > 0, { message: 'a select field needs options', path: ['options'] });
export type CustomFieldDef = z.infer<typeof customFieldDefSchema>;

export const customFieldDefsSchema = z
  .array(customFieldDefSchema)
  .max(100)
  .refine((defs) => new Set(defs.map((d) => d.name)).size === defs.length, { message: 'field names must be unique' });

export const categoryParam = z.object({ category: z.enum(CATEGORIES) });

type FieldValue = string | number | boolean | null;

function checkValue(def: CustomFieldDef, v: FieldValue): string | null {
  if (v === null) return def.required ? 'is required' : null;
  switch (def.type) {
    case 'string':
      return typeof v === 'string' ? null : 'must be a string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be a boolean';
    case 'date':
      return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)) ? null : 'must be an ISO date';
    case 'select':
      return typeof v === 'string' && (def.options ?? []).includes(v) ? null : `must be one of: ${(def.options ?? []).join(', ')}`;
  }
}

/**
 * Check `values` (the fields a PATCH sets) against the category's definitions; `current` (the
 * incident's fields after the change) is used for `required`. Fields without a definition are
 * refused when the category has definitions. The error names the field.
 */
export function validateCustomFields(
  defs: readonly CustomFieldDef[],
  values: Readonly<Record<string, FieldValue>>,
  after: Readonly<Record<string, FieldValue>>,
): Result<void, { field: string; message: string }> {
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const [name, v] of Object.entries(values)) {
    const def = byName.get(name);
    if (!def) {
      if (defs.length > 0) return err({ field: name, message: `custom field "${name}" is not defined for this category` });
      continue;
    }
    const problem = checkValue(def, v);
    if (problem) return err({ field: name, message: `custom field "${name}" ${problem}` });
  }
  for (const def of defs) {
    if (def.required && (after[def.name] === undefined || after[def.name] === null)) {
      return err({ field: def.name, message: `custom field "${def.name}" is required` });
    }
  }
  return ok(undefined);
}

/**
 * Observables as the incident page takes them: a paste of one or more values (one per line or
 * comma-separated) turned into observables, each of the chosen kind or of the kind its value
 * shows (the intel normalizer's detection: IP, CIDR, domain, URL, hash; an e-mail address), with
 * defanged values made live and hashes lower-cased; the values it cannot take are listed with
 * their reason, and do not keep the others out. Pure, so it is tested without a browser.
 */
import { OBSERVABLE_KINDS, type Observable, type ObservableKind } from '../../../shared/incident-schema.ts';
import { err, ok, type Result } from '../../../shared/result.ts';
import { detect, undefang as refang } from '../../../shared/indicator-normalize.ts';

export const OBSERVABLE_KIND_LABELS = {
  ip: 'IP',
  domain: 'Domain',
  url: 'URL',
  hash: 'Hash',
  email: 'E-mail',
  account: 'Account',
  host: 'Host',
  file: 'File',
  other: 'Other',
} as const satisfies Record<ObservableKind, string>;

/** Values one paste may add. */
const MAX_PASTED = 500;
const MAX_VALUE = 2_048;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Kinds whose values are network indicators, written defanged in reports. */
const LIVE_KINDS: readonly ObservableKind[] = ['ip', 'domain', 'url', 'hash', 'email'];

/**
 * The values in a paste: lines, split at ", " (a comma and a space), and at a bare comma too on
 * lines that hold no URL (a URL may carry one in its query).
 */
export function splitPaste(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const parts = line.includes('://') ? line.split(/,\s+/) : line.split(',');
    for (const p of parts) if (p.trim()) out.push(p.trim());
  }
  return out;
}

function detectedKind(value: string): { kind: ObservableKind; value: string } | null {
  const live = refang(value);
  if (EMAIL.test(live)) return { kind: 'email', value: live.toLowerCase() };
  const d = detect(value);
  if (!d) return null;
  const kind: ObservableKind =
    d.type === 'ipv4' || d.type === 'ipv6' || d.type === 'cidr' ? 'ip' : d.type === 'md5' || d.type === 'sha1' || d.type === 'sha256' ? 'hash' : d.type;
  return { kind, value: d.value };
}

/** A pasted value that was not added, and why. */
export interface RejectedValue {
  value: string;
  reason: string;
}

/** What a paste adds and the values it cannot (the others are added all the same). */
export interface ParsedPaste {
  observables: Observable[];
  rejected: RejectedValue[];
}

/**
 * The observables a paste adds and the values it does not, each with its reason; an error only
 * when the paste as a whole is wrong (empty, too many values, an unknown kind).
 */
export function parseObservables(text: string, kind: ObservableKind | 'detect', note: string): Result<ParsedPaste, string> {
  const values = splitPaste(text);
  if (values.length === 0) return err('Paste or type a value first.');
  if (values.length > MAX_PASTED) return err(`At most ${MAX_PASTED} values at once (${values.length} pasted).`);
  if (kind !== 'detect' && !(OBSERVABLE_KINDS as readonly string[]).includes(kind)) return err(`Unknown kind "${kind}".`);
  const trimmedNote = note.trim().slice(0, 200);
  const out: ParsedPaste = { observables: [], rejected: [] };
  for (const raw of values) {
    if (raw.length > MAX_VALUE) {
      out.rejected.push({ value: raw, reason: `longer than ${MAX_VALUE} characters` });
      continue;
    }
    let o: { kind: ObservableKind; value: string } | null;
    if (kind === 'detect') {
      o = detectedKind(raw);
      if (!o) {
        out.rejected.push({ value: raw, reason: 'could not tell what it is: choose its kind' });
        continue;
      }
    } else {
      const live = LIVE_KINDS.includes(kind) ? refang(raw) : raw;
      o = { kind, value: kind === 'hash' || kind === 'email' || kind === 'domain' ? live.toLowerCase() : live };
    }
    out.observables.push(trimmedNote ? { ...o, note: trimmedNote } : o);
  }
  return ok(out);
}

/**
 * Whether a playbook applies to an incident: its `match` block (categories, severity at least,
 * observable kinds, tags, a `when` guard) over the incident's API shape (snake_case, as
 * GET /api/v1/incidents/{id}). Every given criterion must hold; an empty `match` matches all.
 * Used for GET /workflows?incident_id= (the run buttons), event triggers, and to refuse a manual
 * or webhook run on an incident the playbook does not apply to (naming the criterion that fails).
 */
import { SEVERITIES } from '../../shared/incident-schema.ts';
import type { Playbook } from '../../shared/playbook.ts';
import { guard, type Compiled } from './expr.ts';

/** What matching needs of a loaded playbook: its definition and its compiled `match.when`. */
export interface Matchable {
  def: Pick<Playbook, 'match'>;
  when: Compiled | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The first static criterion (no expression) the incident fails, in words; null when all hold. */
export function criteriaMismatch(match: Playbook['match'], incident: Record<string, unknown>): string | null {
  if (match.categories && !match.categories.some((c) => c === incident.category)) {
    return `its category is ${str(incident.category) ?? '(none)'}; the playbook applies to ${match.categories.join(', ')}`;
  }
  if (match.severity_at_least) {
    const rank = SEVERITIES.indexOf(str(incident.severity) as (typeof SEVERITIES)[number]);
    // S1 is the most severe: "at least S2" means S1 or S2.
    if (rank < 0 || rank > SEVERITIES.indexOf(match.severity_at_least))
      return `its severity is ${str(incident.severity) ?? '(none)'}; the playbook needs ${match.severity_at_least} or more severe`;
  }
  if (match.observable_kinds) {
    const kinds = new Set(list(incident.observables).map((o) => (typeof o === 'object' && o !== null ? (o as { kind?: unknown }).kind : null)));
    if (!match.observable_kinds.some((k) => kinds.has(k))) return `it has no observable of kind ${match.observable_kinds.join(' or ')}`;
  }
  if (match.tags) {
    const tags = new Set(list(incident.tags).map((t) => str(t)?.toLowerCase()));
    const missing = match.tags.filter((t) => !tags.has(t.toLowerCase()));
    if (missing.length > 0) return `it lacks the tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`;
  }
  return null;
}

/** The static criteria (no expression). */
function matchesCriteria(match: Playbook['match'], incident: Record<string, unknown>): boolean {
  return criteriaMismatch(match, incident) === null;
}

/** Why the playbook does not apply to the incident (criteria, then the `when` guard); null when it does. */
export async function incidentMismatch(playbook: Matchable, incident: Record<string, unknown>): Promise<string | null> {
  const why = criteriaMismatch(playbook.def.match, incident);
  if (why) return why;
  if (await matchesIncident(playbook, incident)) return null;
  return `its match.when guard (${playbook.def.match.when ?? ''}) is false for it`;
}

/**
 * Every criterion and the `when` guard (evaluated over `{ incident, alert }`). A `when` that
 * fails to evaluate counts as not matching: a listing must not break on one playbook.
 */
export async function matchesIncident(playbook: Matchable, incident: Record<string, unknown>, alert: Record<string, unknown> | null = null): Promise<boolean> {
  if (!matchesCriteria(playbook.def.match, incident)) return false;
  if (!playbook.when) return true;
  try {
    return await guard(playbook.when, { incident, alert, steps: {}, trigger: null, run: null });
  } catch {
    return false;
  }
}

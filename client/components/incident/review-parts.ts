/** The review's required parts as people read them (the panel and the closing gate name them alike). */
import type { ReviewPart } from '../../../shared/incident-doc.ts';

const LABELS: Record<ReviewPart, string> = {
  summary: 'summary',
  impact: 'impact (what was affected)',
  root_cause: 'root cause',
  sign_off: "a lead's sign-off",
};

/** "summary, root cause, a lead's sign-off". */
export function describeMissing(missing: readonly ReviewPart[]): string {
  return missing.map((m) => LABELS[m]).join(', ');
}

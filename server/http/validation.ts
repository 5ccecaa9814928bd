/**
 * Input validation at the HTTP edge: the hook given to every zValidator, which turns a zod
 * failure into a DomainError('bad_request') whose message names the offending parameter. The
 * one onError (http/errors.ts) renders it.
 */
import { DomainError } from '../../shared/errors.ts';

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

const TARGET_NAMES: Record<string, string> = {
  query: 'query parameter',
  param: 'path parameter',
  json: 'body field',
  header: 'header',
  form: 'form field',
  cookie: 'cookie',
};

/** One readable line per issue: `query parameter "limit": Too big: expected number to be <=500`. */
export function describeIssues(target: string, issues: readonly Issue[]): string {
  const noun = TARGET_NAMES[target] ?? target;
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys' && i.keys?.length) {
        const where = i.path.length ? ` in "${i.path.map(String).join('.')}"` : '';
        return `unknown ${noun}${i.keys.length > 1 ? 's' : ''}${where}: ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      // Query values are flat (a list is one comma-separated parameter): name the parameter.
      const path = target === 'query' || target === 'param' ? String(i.path[0] ?? '') : i.path.map(String).join('.');
      return path ? `${noun} "${path}": ${i.message}` : `${target}: ${i.message}`;
    })
    .join('; ');
}

/** zValidator hook: throw a bad_request DomainError when the input is invalid. */
export function rejectInvalid(result: { success: boolean; error?: { issues: readonly Issue[] }; target: string }): void {
  if (result.success) return;
  const issues = result.error?.issues ?? [];
  throw new DomainError('bad_request', describeIssues(result.target, issues) || `invalid ${result.target}`, {
    target: result.target,
    issues: issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })),
  });
}

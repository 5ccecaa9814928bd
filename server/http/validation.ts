/**
 * Input validation at the HTTP edge: the hook given to every zValidator, which turns a zod
 * failure into a DomainError('bad_request') whose message names the offending parameter. The
 * one onError (http/errors.ts) renders it. The same hook refuses text no store can hold (a lone
 * UTF-16 surrogate, NUL: shared/safe-text.ts) anywhere in any validated input, so that rule is
 * here once instead of on every string of every schema; routes that parse a body themselves
 * call `refuseUnsafeText` (or `unsafeTextMessage` for a per-item error).
 */
import { DomainError } from '../../shared/errors.ts';
import { findUnsafeText, UNSAFE_TEXT_REASONS, type UnsafeTextFound } from '../../shared/safe-text.ts';

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

/** `body field "assigned_to": contains a lone UTF-16 surrogate ...` (`noun`: as in TARGET_NAMES, or your own). */
export function unsafeTextMessage(target: string, found: UnsafeTextFound, noun = TARGET_NAMES[target] ?? target): string {
  const path = found.path.map(String).join('.');
  const where = path ? `${noun} "${path}"` : noun;
  return `${where}: ${found.inKey ? 'a key ' : ''}${UNSAFE_TEXT_REASONS[found.problem]}`;
}

/** Throw a bad_request naming the first lone surrogate or NUL in `value` (a parsed input), if any. */
export function refuseUnsafeText(target: string, value: unknown): void {
  const found = findUnsafeText(value);
  if (!found) return;
  throw new DomainError('bad_request', unsafeTextMessage(target, found), {
    target,
    issues: [{ path: found.path.map(String), message: `${found.inKey ? 'a key ' : ''}${UNSAFE_TEXT_REASONS[found.problem]}`, code: found.problem }],
  });
}

/**
 * zValidator hook: throw a bad_request DomainError when the input holds unsafe text (checked
 * first, on the input as given when the schema refused it, else on what it parsed) or is invalid.
 */
type HookResult = { success: boolean; data?: unknown; error?: { issues: readonly Issue[] }; target: string };
const issuesOut = (issues: readonly Issue[]) => issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code }));

export function rejectInvalid(result: HookResult): void {
  refuseUnsafeText(result.target, result.data);
  if (result.success) return;
  const issues = result.error?.issues ?? [];
  throw new DomainError('bad_request', describeIssues(result.target, issues) || `invalid ${result.target}`, {
    target: result.target,
    issues: issuesOut(issues),
  });
}

/**
 * zValidator hook for writes whose schema break is 422 naming the field (`details.field`: the
 * first issue's path, or the unknown key): the post-incident review. Unsafe text stays a 400.
 */
export function rejectUnprocessable(result: HookResult): void {
  refuseUnsafeText(result.target, result.data);
  if (result.success) return;
  const issues = result.error?.issues ?? [];
  const first = issues[0];
  const path = first?.path.map(String) ?? [];
  const field = [...path, ...(first?.code === 'unrecognized_keys' && first.keys?.length ? [first.keys[0] ?? ''] : [])].join('.') || result.target;
  throw new DomainError('unprocessable', describeIssues(result.target, issues) || `invalid ${result.target}`, { field, issues: issuesOut(issues) });
}

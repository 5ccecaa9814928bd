/**
 * What the zod schema of a playbook cannot check, run by the loader on a schema-valid playbook:
 * duplicate step ids, unknown actions (with the closest known name), `needs` naming unknown steps
 * or forming a cycle (named `a → b → a`), `on_error` targets, retry error codes, approver roles,
 * a gate that would approve a destructive action on timeout, what an action can tell of its
 * literal inputs (its `checkWith`: closing without a resolution), and every expression (guards,
 * templates in `with` and approval messages, for_each, concurrency keys), including that a step
 * only reads `steps.<id>` of steps it waits for. On success it returns the compiled form the
 * engine runs: expressions compiled once, steps in topological order.
 *
 * Problems carry the document path (`['steps', 2, 'needs', 0]`); the loader maps it to a line.
 */
import type { Playbook, StepSpec } from '../../shared/playbook.ts';
import { ROLE_ACTIONS } from '../../shared/permissions.ts';
import { err, ok, type Result } from '../../shared/result.ts';
import { ACTION_ERROR_CODES } from './actions/types.ts';
import { compileExpression, compileTemplates, referencedSteps, templateExpressions, type Compiled, type Template } from './expr.ts';

export type DocPath = (string | number)[];

/** The actions a playbook may name, by name, with what the loader checks about them. */
export type KnownActions = ReadonlyMap<string, { readonly destructive?: boolean; checkWith?(raw: unknown): { path: (string | number)[]; reason: string }[] }>;
export interface LocatedProblem {
  path: DocPath;
  reason: string;
}

/** One step with its expressions compiled, ready for the engine. */
interface CompiledStep {
  spec: StepSpec;
  /** The `if` guard, or null (always runs). */
  if: Compiled | null;
  /** `with`, templates compiled (render with expr.ts renderTemplate). */
  with: Template;
  forEach: { items: Compiled; concurrency: number } | null;
  concurrencyKey: Compiled | null;
  approval: { requiredIf: Compiled | null; message: Template } | null;
  /** Named by some step's `on_error`: runs only when that step fails, never at run start. */
  handler: boolean;
}

export interface CompiledPlaybook {
  steps: ReadonlyMap<string, CompiledStep>;
  /** Step ids in topological order of `needs` (a step after every step it needs). */
  order: string[];
  /** `match.when`, or null. */
  when: Compiled | null;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

function closest(name: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

const quoteList = (names: Iterable<string>): string => [...names].map((n) => `"${n}"`).join(', ');

/** The first cycle in `needs` as `a → b → a`, or null. */
function findCycle(steps: readonly StepSpec[]): string[] | null {
  const needs = new Map(steps.map((s) => [s.id, s.needs]));
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    trail.push(id);
    for (const n of needs.get(id) ?? []) {
      if (!needs.has(n)) continue;
      const cycle = visit(n);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(id, 'done');
    return null;
  };
  for (const s of steps) {
    const cycle = visit(s.id);
    if (cycle) return cycle;
  }
  return null;
}

/** Kahn's algorithm, keeping the file's order among steps that are ready together. */
function topologicalOrder(steps: readonly StepSpec[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < steps.length) {
    const next = steps.find((s) => !placed.has(s.id) && s.needs.every((n) => placed.has(n)));
    if (!next) break;
    placed.add(next.id);
    order.push(next.id);
  }
  return order;
}

const APPROVER_ROLES = new Set(
  Object.entries(ROLE_ACTIONS)
    .filter(([, actions]) => (actions as readonly string[]).includes('playbook:approve'))
    .map(([role]) => role),
);

/** Check a schema-valid playbook; compile it when nothing is wrong. */
export function checkPlaybook(def: Playbook, knownActions: KnownActions): Result<CompiledPlaybook, LocatedProblem[]> {
  const problems: LocatedProblem[] = [];
  const at = (path: DocPath, reason: string): void => void problems.push({ path, reason });

  const firstIndex = new Map<string, number>();
  def.steps.forEach((s, i) => {
    const first = firstIndex.get(s.id);
    if (first === undefined) firstIndex.set(s.id, i);
    else at(['steps', i, 'id'], `duplicate step id "${s.id}" (already used by steps[${first}])`);
  });
  const ids = [...firstIndex.keys()];
  const known = new Set(ids);
  const unknownStep = (name: string): string => {
    const near = closest(name, ids);
    return `unknown step "${name}"${near ? ` (closest: "${near}")` : ''}; steps are ${quoteList(ids)}`;
  };

  const handlers = new Map<string, string[]>();
  def.steps.forEach((s, i) => {
    const action = knownActions.get(s.action);
    if (!action) {
      const near = closest(s.action, knownActions.keys());
      at(['steps', i, 'action'], `unknown action "${s.action}"${near ? ` (closest: "${near}")` : ''}; known: ${[...knownActions.keys()].sort().join(', ')}`);
    }
    // What the action can judge of its inputs as written (e.g. closing without a resolution).
    for (const p of action?.checkWith?.(s.with) ?? []) at(['steps', i, 'with', ...p.path], p.reason);
    s.needs.forEach((n, j) => {
      if (!known.has(n)) at(['steps', i, 'needs', j], `needs ${unknownStep(n)}`);
    });
    if (s.on_error !== undefined) {
      if (s.on_error === s.id) at(['steps', i, 'on_error'], `on_error cannot go to the step itself ("${s.id}")`);
      else if (!known.has(s.on_error)) at(['steps', i, 'on_error'], `on_error goes to ${unknownStep(s.on_error)}`);
      else handlers.set(s.on_error, [...(handlers.get(s.on_error) ?? []), s.id]);
    }
    s.retry?.on?.forEach((code, j) => {
      if (!(ACTION_ERROR_CODES as readonly string[]).includes(code)) {
        at(['steps', i, 'retry', 'on', j], `unknown error code "${code}"; known: ${ACTION_ERROR_CODES.join(', ')}`);
      }
    });
    s.approval?.approvers.roles.forEach((role, j) => {
      if (!APPROVER_ROLES.has(role)) {
        at(['steps', i, 'approval', 'approvers', 'roles', j], `role "${role}" cannot approve (it lacks playbook:approve); use ${quoteList(APPROVER_ROLES)}`);
      }
    });
  });

  def.steps.forEach((s, i) => {
    if (handlers.has(s.id) && s.needs.length > 0) {
      at(
        ['steps', i, 'needs'],
        `step "${s.id}" is the on_error target of ${quoteList(handlers.get(s.id) ?? [])}, so it runs only when that fails and cannot also have needs`,
      );
    }
  });

  // Silence is not consent: nobody answering must never contain, block or purge anything.
  def.steps.forEach((s, i) => {
    if (s.approval?.on_timeout !== 'approve') return;
    const reached = unattendedDestructive(def.steps, s.id, knownActions);
    if (!reached) return;
    const where = reached.id === s.id ? 'this step' : `step "${reached.id}", which follows this one`;
    at(
      ['steps', i, 'approval', 'on_timeout'],
      `on_timeout: approve would run the destructive action "${reached.action}" (${where}) when nobody decides; use reject or fail (with an on_error step to escalate), or drop the gate if the step is meant to run unattended`,
    );
  });

  const cycle = findCycle(def.steps);
  if (cycle) {
    const i = def.steps.findIndex((s) => s.id === cycle[0]);
    at(['steps', i, 'needs'], `cycle in needs: ${cycle.join(' → ')}`);
  }
  const errorCycle = findErrorCycle(def.steps);
  if (errorCycle) {
    const i = def.steps.findIndex((s) => s.id === errorCycle[0]);
    at(['steps', i, 'on_error'], `cycle in on_error: ${errorCycle.join(' → ')}`);
  }

  // Expressions. A step may read steps.<id> only of steps that finish before it starts.
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const before = (id: string, seen = new Set<string>()): Set<string> => {
    for (const n of [...(byId.get(id)?.needs ?? []), ...(handlers.get(id) ?? [])]) {
      if (seen.has(n)) continue;
      seen.add(n);
      before(n, seen);
    }
    return seen;
  };
  const compiledSteps = new Map<string, CompiledStep>();
  const expr = (path: DocPath, src: string | undefined, step: StepSpec | null): Compiled | null => {
    if (src === undefined) return null;
    const c = compileExpression(src);
    if (!c.ok) {
      at(path, `bad expression: ${c.error}`);
      return null;
    }
    if (step) checkReads(path, [c.value], step);
    return c.value;
  };
  const checkReads = (path: DocPath, exprs: Compiled[], step: StepSpec): void => {
    const earlier = cycle ? null : before(step.id);
    for (const name of new Set(exprs.flatMap(referencedSteps))) {
      if (!known.has(name)) at(path, `reads steps.${name}: ${unknownStep(name)} (a step id with "-" must be quoted: steps.\`my-step\`)`);
      else if (earlier && !earlier.has(name)) at(path, `reads steps.${name}, but "${step.id}" does not wait for "${name}" (add it to needs)`);
    }
  };
  const template = (path: DocPath, value: unknown, step: StepSpec): Template | null => {
    const t = compileTemplates(value);
    if (!t.ok) {
      for (const p of t.error) at([...path, ...p.segments], p.message);
      return null;
    }
    checkReads(path, templateExpressions(t.value), step);
    return t.value;
  };

  const when = expr(['match', 'when'], def.match.when, null);
  def.steps.forEach((s, i) => {
    const base: DocPath = ['steps', i];
    const guard = expr([...base, 'if'], s.if, s);
    const withT = template([...base, 'with'], s.with, s);
    const items = s.for_each ? expr([...base, 'for_each', 'items'], s.for_each.items, s) : null;
    const key = s.concurrency ? expr([...base, 'concurrency', 'key'], s.concurrency.key, s) : null;
    const requiredIf = s.approval ? expr([...base, 'approval', 'required_if'], s.approval.required_if, s) : null;
    const message = s.approval ? template([...base, 'approval', 'message'], s.approval.message, s) : null;
    if (!withT || (s.approval && !message)) return;
    compiledSteps.set(s.id, {
      spec: s,
      if: guard,
      with: withT,
      forEach: s.for_each && items ? { items, concurrency: s.for_each.concurrency } : null,
      concurrencyKey: key,
      approval: s.approval && message ? { requiredIf, message } : null,
      handler: handlers.has(s.id),
    });
  });

  if (problems.length > 0) return err(problems);
  return ok({ steps: compiledSteps, order: topologicalOrder(def.steps), when });
}

/**
 * The first step with a destructive action that approving `gateId` would let run without another
 * person's decision: the gated step itself, or one that follows it (through `needs` or
 * `on_error`) with no unconditional gate of its own in between. Null when there is none.
 */
function unattendedDestructive(steps: readonly StepSpec[], gateId: string, knownActions: KnownActions): StepSpec | null {
  const seen = new Set<string>();
  const queue = steps.filter((s) => s.id === gateId);
  for (let s = queue.shift(); s; s = queue.shift()) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    // A later step that always asks a person is that person's decision, not this timeout's.
    if (s.id !== gateId && s.approval && !s.approval.required_if) continue;
    if (knownActions.get(s.action)?.destructive) return s;
    const { id, on_error: handler } = s;
    queue.push(...steps.filter((t) => t.needs.includes(id) || t.id === handler));
  }
  return null;
}

/** A loop through on_error routes (a → b → a), or null. Each step has at most one on_error. */
function findErrorCycle(steps: readonly StepSpec[]): string[] | null {
  const next = new Map(steps.filter((s) => s.on_error !== undefined && s.on_error !== s.id).map((s) => [s.id, s.on_error as string]));
  for (const start of next.keys()) {
    const trail = [start];
    let cur = next.get(start);
    while (cur !== undefined) {
      const seen = trail.indexOf(cur);
      if (seen >= 0) return seen === 0 ? [...trail, cur] : null; // reported from its own start
      trail.push(cur);
      cur = next.get(cur);
    }
  }
  return null;
}

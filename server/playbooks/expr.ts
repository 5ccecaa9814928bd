/**
 * The one expression language of playbooks: JSONata (the maintained `jsonata` package), never
 * `eval`. Guards, `for_each.items`, `concurrency.key` and the `{{ }}` templates in step inputs and
 * approval messages all go through here, compiled once when a playbook loads and evaluated over
 * the run's ExpressionContext (shared/playbook.ts) and nothing else.
 *
 * Sandbox: JSONata has no access to Node globals (`process`, `require`, `constructor` and
 * `$eval` tricks all evaluate to nothing — expr.test.ts proves it); each evaluation runs with a
 * time limit, a depth limit (runaway recursion) and a sequence-length cap, and its result is
 * copied into plain JSON (functions are refused) before anything else sees it.
 *
 * Compile problems are values (the loader reports them with file and line); evaluation problems
 * at run time throw ExpressionError, which the engine turns into the step's failure.
 */
import jsonata from 'jsonata';
import { err, ok, type Result } from '../../shared/result.ts';

export interface EvalOptions {
  /** Longest one evaluation may run (default 100 ms). */
  timeoutMs?: number;
  /** Deepest evaluation nesting, which bounds recursion (default 300). */
  maxDepth?: number;
}

const DEFAULT_TIMEOUT_MS = 100;
const DEFAULT_MAX_DEPTH = 300;
/** Longest sequence an expression may build (bounds memory, e.g. `[1..10000000]`). */
const MAX_SEQUENCE = 100_000;

/** A compiled expression: its source and the compiled JSONata per limits in use. */
export interface Compiled {
  readonly source: string;
  /** Compiled JSONata per `timeoutMs:maxDepth` (the limits are fixed at compile time in jsonata). */
  readonly byLimits: Map<string, jsonata.Expression>;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
    /** Where in the inputs, for templates (`with.url`), or null. */
    readonly path: string | null = null,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

interface JsonataFailure {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

function describeFailure(e: unknown): string {
  const f = (typeof e === 'object' && e !== null ? e : {}) as JsonataFailure;
  const message = f.message ?? String(e);
  return typeof f.position === 'number' ? `${message} (at position ${f.position})` : message;
}

function limitsKey(opts: EvalOptions): string {
  return `${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS}:${opts.maxDepth ?? DEFAULT_MAX_DEPTH}`;
}

function build(source: string, opts: EvalOptions): jsonata.Expression {
  return jsonata(source, {
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    stack: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    sequence: MAX_SEQUENCE,
  });
}

/** Compiled expressions by source: runs render the same templates over and over. */
const cache = new Map<string, Compiled>();
const MAX_CACHED = 5_000;

/** Compile a JSONata expression; a syntax error comes back with its position. */
export function compileExpression(source: string): Result<Compiled, string> {
  if (source.trim() === '') return err('empty expression');
  const cached = cache.get(source);
  if (cached) return ok(cached);
  try {
    const compiled: Compiled = { source, byLimits: new Map([[limitsKey({}), build(source, {})]]) };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(source, compiled);
    return ok(compiled);
  } catch (e) {
    return err(describeFailure(e));
  }
}

/** Referenced `steps.<id>` names (for the loader's check that a step only reads steps it needs). */
export function referencedSteps(compiled: Compiled): string[] {
  const found = new Set<string>();
  const first = compiled.byLimits.values().next().value;
  if (!first) return [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const n = node as { type?: string; steps?: { type?: string; value?: unknown }[] };
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const [a, b] = n.steps;
      if (a?.type === 'name' && a.value === 'steps' && b?.type === 'name' && typeof b.value === 'string') found.add(b.value);
    }
    for (const v of Object.values(node)) if (typeof v === 'object') visit(v);
  };
  visit(first.ast());
  return [...found];
}

/** JSONata's result as plain JSON: sequences become arrays, functions are refused. */
function toJson(value: unknown, source: string): unknown {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ExpressionError('expression produced a non-finite number', source);
    return value;
  }
  if (typeof value === 'function') throw new ExpressionError('expression produced a function, not a value', source);
  if (Array.isArray(value)) return value.map((v) => toJson(v, source)).filter((v) => v !== undefined);
  if (typeof value === 'object') {
    if (typeof (value as { _jsonata_lambda?: unknown })._jsonata_lambda !== 'undefined') {
      throw new ExpressionError('expression produced a function, not a value', source);
    }
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, toJson(v, source)] as const)
        .filter(([, v]) => v !== undefined),
    );
  }
  throw new ExpressionError(`expression produced an unsupported value (${typeof value})`, source);
}

/** Evaluate over `input` (the run's ExpressionContext); the result is plain JSON or undefined. */
export async function evaluate(compiled: Compiled, input: unknown, opts: EvalOptions = {}): Promise<unknown> {
  const key = limitsKey(opts);
  let expression = compiled.byLimits.get(key);
  if (!expression) {
    expression = build(compiled.source, opts);
    compiled.byLimits.set(key, expression);
  }
  let result: unknown;
  try {
    result = await expression.evaluate(input);
  } catch (e) {
    throw new ExpressionError(`expression ${JSON.stringify(compiled.source)} failed: ${describeFailure(e)}`, compiled.source);
  }
  return toJson(result, compiled.source);
}

/** JSONata's truthiness ($boolean): empty string, 0, null, empty array/object and undefined are false. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return false;
}

/** A guard: true when the expression's value is truthy (undefined → false). Throws ExpressionError on failure. */
export async function guard(compiled: Compiled, input: unknown, opts: EvalOptions = {}): Promise<boolean> {
  return truthy(await evaluate(compiled, input, opts));
}

// ---- templates in step inputs ----------------------------------------------------------------

/** One `{{ expr }}`; an expression cannot itself contain `}}`. */
const TEMPLATE_RE = /\{\{([\s\S]*?)\}\}/g;
const WHOLE_RE = /^\s*\{\{((?:(?!\}\})[\s\S])*)\}\}\s*$/;

/** A value with its templates compiled, ready to render many times. */
export type Template =
  | { kind: 'literal'; value: unknown }
  /** A string that is exactly one template: takes the expression's value (any JSON). */
  | { kind: 'value'; expr: Compiled; path: string }
  /** A string with templates inside text: each is replaced by its text. */
  | { kind: 'text'; parts: (string | Compiled)[]; path: string }
  | { kind: 'array'; items: Template[] }
  | { kind: 'object'; entries: [string, Template][] };

export interface TemplateProblem {
  /** Where in the value (`url`, `headers.Authorization`, `items[2]`); '' for the value itself. */
  path: string;
  /** The same as keys and indexes (for finding the YAML node). */
  segments: (string | number)[];
  message: string;
}

/** `['headers', 'A', 0]` → `headers.A[0]`. */
export function pathText(segments: readonly (string | number)[]): string {
  return segments.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? key : `${acc}.${key}`), '');
}

function compileString(s: string, segments: (string | number)[], problems: TemplateProblem[]): Template {
  const path = pathText(segments);
  const compileOne = (src: string): Compiled | null => {
    const c = compileExpression(src.trim());
    if (c.ok) return c.value;
    problems.push({ path, segments, message: `bad expression {{${src}}}: ${c.error}` });
    return null;
  };
  const whole = WHOLE_RE.exec(s);
  if (whole) {
    const c = compileOne(whole[1] ?? '');
    return c ? { kind: 'value', expr: c, path } : { kind: 'literal', value: s };
  }
  const parts: (string | Compiled)[] = [];
  let last = 0;
  let failed = false;
  for (const m of s.matchAll(TEMPLATE_RE)) {
    parts.push(s.slice(last, m.index));
    const c = compileOne(m[1] ?? '');
    if (c) parts.push(c);
    else failed = true;
    last = m.index + m[0].length;
  }
  if (parts.length === 0) return { kind: 'literal', value: s };
  parts.push(s.slice(last));
  return failed ? { kind: 'literal', value: s } : { kind: 'text', parts: parts.filter((p) => p !== ''), path };
}

/** Compile every template in a value (objects and arrays walked); problems carry their path. */
export function compileTemplates(value: unknown, base: readonly (string | number)[] = []): Result<Template, TemplateProblem[]> {
  const problems: TemplateProblem[] = [];
  const walk = (v: unknown, segments: (string | number)[]): Template => {
    if (typeof v === 'string') return compileString(v, segments, problems);
    if (Array.isArray(v)) return { kind: 'array', items: v.map((item, i) => walk(item, [...segments, i])) };
    if (typeof v === 'object' && v !== null) {
      return { kind: 'object', entries: Object.entries(v).map(([k, item]) => [k, walk(item, [...segments, k])]) };
    }
    return { kind: 'literal', value: v };
  };
  const template = walk(value, [...base]);
  return problems.length > 0 ? err(problems) : ok(template);
}

/** Every expression in a compiled template (for load-time checks). */
export function templateExpressions(t: Template): Compiled[] {
  switch (t.kind) {
    case 'literal':
      return [];
    case 'value':
      return [t.expr];
    case 'text':
      return t.parts.filter((p): p is Compiled => typeof p !== 'string');
    case 'array':
      return t.items.flatMap(templateExpressions);
    case 'object':
      return t.entries.flatMap(([, item]) => templateExpressions(item));
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Render a compiled template over the context. Throws ExpressionError (with the path) on failure. */
export async function renderTemplate(t: Template, input: unknown, opts: EvalOptions = {}): Promise<unknown> {
  const withPath = async (path: string, run: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await run();
    } catch (e) {
      if (e instanceof ExpressionError) throw new ExpressionError(path === '' ? e.message : `${path}: ${e.message}`, e.source, path);
      throw e;
    }
  };
  switch (t.kind) {
    case 'literal':
      return t.value;
    case 'value':
      return withPath(t.path, () => evaluate(t.expr, input, opts));
    case 'text':
      return withPath(t.path, async () => {
        let out = '';
        for (const part of t.parts) out += typeof part === 'string' ? part : asText(await evaluate(part, input, opts));
        return out;
      });
    case 'array':
      return Promise.all(t.items.map((item) => renderTemplate(item, input, opts)));
    case 'object': {
      const rendered = await Promise.all(t.entries.map(async ([k, item]) => [k, await renderTemplate(item, input, opts)] as const));
      // fromEntries defines own properties, so a `__proto__` key stays a plain key.
      return Object.fromEntries(rendered);
    }
  }
}

/** Compile and render in one go (tests, one-off values). Throws ExpressionError on a bad template. */
export async function renderInputs(value: unknown, input: unknown, opts: EvalOptions = {}): Promise<unknown> {
  const compiled = compileTemplates(value);
  if (!compiled.ok) {
    const first = compiled.error[0];
    throw new ExpressionError(first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'bad template', '', first?.path ?? null);
  }
  return renderTemplate(compiled.value, input, opts);
}

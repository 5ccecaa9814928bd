/**
 * Expressions as the engine meets them: a run carries its playbook as JSON (the definition it
 * started with), so sources are compiled here through expr.ts (the one JSONata sandbox) and kept
 * by source text. Guards (`if`, `approval.required_if`), values (`for_each.items`,
 * `concurrency.key`) and `{{ }}` templates; a failure throws expr.ts's ExpressionError, which
 * the engine turns into the step's failure.
 */
import type { ExpressionContext } from '../../../shared/playbook.ts';
import { compileExpression, evaluate, ExpressionError, guard, renderInputs, type Compiled } from '../expr.ts';

const compiled = new Map<string, Compiled>();
const MAX_COMPILED = 2_000;

function compile(source: string): Compiled {
  let c = compiled.get(source);
  if (!c) {
    const r = compileExpression(source);
    if (!r.ok) throw new ExpressionError(`expression ${JSON.stringify(source)} does not compile: ${r.error}`, source);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, (c = r.value));
  }
  return c;
}

export async function evaluateValue(source: string, ctx: ExpressionContext): Promise<unknown> {
  return (await evaluate(compile(source), ctx)) ?? null;
}

export const evaluateGuard = (source: string, ctx: ExpressionContext): Promise<boolean> => guard(compile(source), ctx);

/** Render every `{{ }}` template in a step's inputs (deeply); other values pass through. */
export const renderTemplates = (value: unknown, ctx: ExpressionContext): Promise<unknown> => renderInputs(value, ctx);

import { describe, expect, it } from 'vitest';
import { compileExpression, compileTemplates, evaluate, ExpressionError, guard, referencedSteps, renderInputs, type Compiled } from './expr.ts';

function compiled(src: string): Compiled {
  const c = compileExpression(src);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

const ctx = {
  incident: {
    severity: 'S2',
    tags: ['vpn'],
    observables: [
      { kind: 'ip', value: '203.0.113.7' },
      { kind: 'account', value: 'alice@example.com' },
      { kind: 'ip', value: '198.51.100.9' },
    ],
    custom_fields: { privileged_account: true },
  },
  alert: null,
  trigger: { kind: 'manual' },
  steps: { enrich: { status: 'succeeded', output: { score: 87 } } },
  run: { id: 'r1', playbook_id: 'p', dry_run: false, started_by: 'u1' },
};

describe('compileExpression', () => {
  it('reports a syntax error with its position', () => {
    const c = compileExpression('incident.severity = ');
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error).toMatch(/position \d+/);
  });

  it('refuses an empty expression', () => {
    expect(compileExpression('  ').ok).toBe(false);
  });
});

describe('PB4: evaluate', () => {
  it('reads the incident, earlier steps and the run', async () => {
    expect(await evaluate(compiled('incident.observables[kind="ip"].value'), ctx)).toEqual(['203.0.113.7', '198.51.100.9']);
    expect(await evaluate(compiled('steps.enrich.output.score'), ctx)).toBe(87);
    expect(await evaluate(compiled('run.playbook_id & "-" & $string(run.dry_run)'), ctx)).toBe('p-false');
  });

  it('returns plain JSON (no JSONata sequence objects)', async () => {
    const v = await evaluate(compiled('incident.observables[kind="ip"]'), ctx);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    expect(Array.isArray(v)).toBe(true);
  });

  it('refuses to hand back a function', async () => {
    await expect(evaluate(compiled('function($x){ $x }'), ctx)).rejects.toThrow(/function/);
  });

  it('stops an endless recursion by its time or depth limit', async () => {
    const start = Date.now();
    await expect(evaluate(compiled('($f := function($x){ $f($x + 1) }; $f(0))'), ctx, { timeoutMs: 50 })).rejects.toBeInstanceOf(ExpressionError);
    expect(Date.now() - start).toBeLessThan(2_000);
  });

  it('stops a huge computation by its time limit', async () => {
    await expect(evaluate(compiled('$sum([1..5000000].($ * 2))'), ctx, { timeoutMs: 30 })).rejects.toThrow(/timeout|sequence|D1012|D2015/i);
  });

  it('stops deep recursion by the depth limit', async () => {
    await expect(evaluate(compiled('($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(5000))'), ctx, { timeoutMs: 5_000, maxDepth: 200 })).rejects.toThrow(
      /stack|depth|D1011/i,
    );
  });

  it('cannot reach Node globals: process, require, constructor and $eval tricks give nothing', async () => {
    const tricks = [
      'process',
      '$process',
      'process.env',
      '$require("fs")',
      'constructor',
      'incident.constructor',
      'incident.constructor.constructor("return process")()',
      '"x".constructor',
      'incident.__proto__',
      '$lookup(incident, "constructor")',
      '$eval("process")',
      '$eval("$.constructor.constructor(\\"return process\\")()")',
      'globalThis',
      '$globalThis',
    ];
    for (const t of tricks) {
      let value: unknown;
      try {
        value = await evaluate(compiled(t), ctx);
      } catch (e) {
        // refused outright is as good as nothing
        expect(e).toBeInstanceOf(ExpressionError);
        continue;
      }
      expect(value, t).toBeUndefined();
    }
  });
});

describe('guard', () => {
  it('is JSONata truthiness; undefined is false', async () => {
    expect(await guard(compiled('incident.custom_fields.privileged_account = true'), ctx)).toBe(true);
    expect(await guard(compiled('incident.custom_fields.missing'), ctx)).toBe(false);
    expect(await guard(compiled('incident.severity in ["S1", "S2"]'), ctx)).toBe(true);
    expect(await guard(compiled('""'), ctx)).toBe(false);
    expect(await guard(compiled('[]'), ctx)).toBe(false);
    expect(await guard(compiled('0'), ctx)).toBe(false);
    expect(await guard(compiled('"vpn" in incident.tags'), ctx)).toBe(true);
  });

  it('PB4: throws ExpressionError on a failing expression instead of guessing', async () => {
    await expect(guard(compiled('incident.severity + 1'), ctx)).rejects.toBeInstanceOf(ExpressionError);
  });
});

describe('templates', () => {
  it('a string that is exactly one template takes the value, of any JSON type', async () => {
    const out = await renderInputs(
      { ips: '{{ incident.observables[kind="ip"].value }}', score: '{{steps.enrich.output.score}}', flag: '  {{ run.dry_run }} ' },
      ctx,
    );
    expect(out).toEqual({ ips: ['203.0.113.7', '198.51.100.9'], score: 87, flag: false });
  });

  it('replaces templates inside text by their text, walking objects and arrays', async () => {
    const out = await renderInputs(
      {
        text: 'Severity {{ incident.severity }}: {{ incident.tags }} score={{ steps.enrich.output.score }} none={{ alert.id }}.',
        nested: [{ s: 'run {{ run.id }}' }, 3, true, null],
      },
      ctx,
    );
    expect(out).toEqual({ text: 'Severity S2: ["vpn"] score=87 none=.', nested: [{ s: 'run r1' }, 3, true, null] });
  });

  it('keeps a __proto__ key a plain key', async () => {
    const out = (await renderInputs(JSON.parse('{"__proto__": {"polluted": "{{ run.id }}"}}'), ctx)) as Record<string, unknown>;
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('compileTemplates reports each bad template with its path', () => {
    const c = compileTemplates({ url: 'https://x/{{ incident.( }}', headers: { A: 'ok', B: '{{ ] }}' }, list: ['{{ 1 + }}'] });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error.map((p) => p.path)).toEqual(['url', 'headers.B', 'list[0]']);
  });

  it('a render failure names the input path', async () => {
    await expect(renderInputs({ body: { n: '{{ incident.severity + 1 }}' } }, ctx)).rejects.toThrow(/^body\.n: /);
  });
});

describe('referencedSteps', () => {
  it('lists the steps an expression reads', () => {
    expect(referencedSteps(compiled('steps.a.output.x + $count(steps.b.output[score > 1]) + steps.`c-d`.status'))).toEqual(['a', 'b', 'c-d']);
  });
});

import { describe, expect, it } from 'vitest';
import { createEventRequest } from './incidents-api.ts';
import { MAX_JSON_DEPTH, nestsAtMost } from './json-depth.ts';
import { putConnectorBody } from './playbooks-api.ts';

/** `{"d":[{"d":[ ... ]}]}`: `levels` objects and arrays, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let v: unknown = 'bottom';
  for (let i = levels - 1; i >= 1; i--) v = i % 2 ? [v] : { d: v };
  return { d: v };
}

describe('nestsAtMost', () => {
  it('counts objects and arrays, not scalars, and handles 100,000 levels', () => {
    expect(nestsAtMost('x', 0)).toBe(true);
    expect(nestsAtMost({ a: [1, { b: 2 }] }, 3)).toBe(true);
    expect(nestsAtMost({ a: [1, { b: 2 }] }, 2)).toBe(false);
    expect(nestsAtMost(nested(100_000), MAX_JSON_DEPTH)).toBe(false);
  });
});

describe('free-form fields', () => {
  it(`take data nested ${MAX_JSON_DEPTH} levels and refuse deeper, naming the field`, () => {
    expect(createEventRequest.safeParse({ text: 'x', data: nested(MAX_JSON_DEPTH) }).success).toBe(true);
    const deep = createEventRequest.safeParse({ text: 'x', data: nested(5_000) });
    expect(deep.success).toBe(false);
    expect(deep.error?.issues[0]?.path).toEqual(['data']);
    expect(deep.error?.issues[0]?.message).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('refuse connector settings nested too deep', () => {
    const r = putConnectorBody.safeParse({ endpoint: null, settings: nested(MAX_JSON_DEPTH + 1) });
    expect(r.error?.issues[0]?.path).toEqual(['settings']);
    expect(putConnectorBody.safeParse({ endpoint: null, settings: { region: 'eu', tags: ['a'] } }).success).toBe(true);
  });
});

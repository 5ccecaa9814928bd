/**
 * A bound on how deeply free-form JSON fields nest (a timeline entry's `data`, a connector's
 * `settings`). Such values are written into a Yjs document or a jsonb column, and both encoders
 * recurse: a body nested a few thousand levels deep overflowed the stack and answered 500. The
 * schemas refuse it instead, naming the field.
 */
import { z } from 'zod';

/** Levels of objects and arrays a free-form field may hold (the field itself counts as one). */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests at most `max` levels of objects and arrays (a scalar is 0; counted without recursion). */
export function nestsAtMost(value: unknown, max: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (typeof n.v !== 'object' || n.v === null) continue;
    if (n.depth + 1 > max) return false;
    for (const x of Array.isArray(n.v) ? n.v : Object.values(n.v)) stack.push({ v: x, depth: n.depth + 1 });
  }
  return true;
}

/** A JSON object of any keys and values, nested at most MAX_JSON_DEPTH levels. */
export const freeFormObject = () =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => nestsAtMost(v, MAX_JSON_DEPTH), { message: `nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` });

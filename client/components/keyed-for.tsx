/**
 * A list rendered by key: when the list is rebuilt with new objects (a reload, a poll), each
 * key's component stays mounted and receives the new object, so what someone opened or is typing
 * in an item survives. (`<For>` keys by object identity and would remount every item.)
 */
import { createMemo, For, Show, type Accessor, type JSX } from 'solid-js';

const sameKeys = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i]);

export function KeyedFor<T>(props: { each: readonly T[]; by: (item: T) => string; children: (item: Accessor<T>) => JSX.Element }): JSX.Element {
  const byKey = createMemo(() => new Map(props.each.map((item) => [props.by(item), item])));
  const keys = createMemo(() => props.each.map(props.by), [], { equals: sameKeys });
  return <For each={keys()}>{(key) => <Show when={byKey().get(key)}>{(item) => props.children(item)}</Show>}</For>;
}

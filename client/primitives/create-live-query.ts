/**
 * A Dexie live query as a Solid signal: re-runs whenever the tables it read change (in this tab
 * or another), so lists read straight from IndexedDB stay current without any polling.
 */
import { liveQuery } from 'dexie';
import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';

export interface LiveQuery<T> {
  value: Accessor<T>;
  /** False until the first result arrived. */
  ready: Accessor<boolean>;
  error: Accessor<unknown>;
}

/**
 * `source` is tracked: when it changes the live query restarts with the new input. The query
 * itself runs inside Dexie's live-query zone, so it is not tracked by Solid.
 */
export function createLiveQuery<T, K>(source: Accessor<K>, query: (input: K) => Promise<T>, initial: T): LiveQuery<T> {
  const [value, setValue] = createSignal<T>(initial, { equals: false });
  const [ready, setReady] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  createEffect(() => {
    const input = source();
    const sub = liveQuery(() => query(input)).subscribe({
      next: (v) => {
        setValue(() => v);
        setReady(true);
        setError(null);
      },
      error: (e: unknown) => setError(e),
    });
    onCleanup(() => sub.unsubscribe());
  });
  return { value, ready, error };
}

/** Solid adapter for the local core's observables: a signal that follows the value. */
import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type { ReadonlyObservable } from '../local/observable.ts';

export function createObservableSignal<T>(source: ReadonlyObservable<T>): Accessor<T> {
  const [value, setValue] = createSignal<T>(source.get(), { equals: false });
  onCleanup(source.subscribe((next) => setValue(() => next)));
  return value;
}

/**
 * A minimal observable value for the framework-free local core: the UI adapts it to a Solid
 * signal (primitives/create-observable.ts); tests read it directly.
 */
export interface ReadonlyObservable<T> {
  get(): T;
  /** Called with every new value; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void;
}

export interface Observable<T> extends ReadonlyObservable<T> {
  set(value: T): void;
  update(patch: Partial<T>): void;
}

export function createObservable<T>(initial: T): Observable<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  const set = (next: T): void => {
    if (Object.is(next, value)) return;
    value = next;
    for (const l of [...listeners]) l(value);
  };
  return {
    get: () => value,
    set,
    update: (patch) => {
      const keys = Object.keys(patch) as (keyof T)[];
      if (keys.every((k) => Object.is(patch[k], value[k]))) return;
      set({ ...value, ...patch });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

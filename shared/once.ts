/** `make()` once, at the first call; later calls return what it made (a value, or a promise of a lazy import). */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

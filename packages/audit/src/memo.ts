/**
 * A cache of values per object, stored on the object itself (a property under a private symbol, not enumerable), for
 * caches keyed by the objects of one parsed file: documents, jobs, steps, YAML scalars. It lives exactly as long as
 * its key, as a WeakMap entry does, but without the WeakMap's cost: V8's young-generation collections keep every
 * young key of a long-lived WeakMap alive, so each file's documents and nodes were copied and promoted to the old
 * generation (most of a large audit's GC time) instead of dying young. Objects that cannot take a property (frozen
 * ones) fall back to a WeakMap.
 */
export class Memo<K extends object, V> {
  readonly #slot = Symbol('memo');
  #fallback: WeakMap<K, V> | undefined;

  get(key: K): V | undefined {
    const value = (key as Record<symbol, V | undefined>)[this.#slot];
    return value === undefined && this.#fallback !== undefined ? this.#fallback.get(key) : value;
  }

  set(key: K, value: V): void {
    if (Object.hasOwn(key, this.#slot)) {
      (key as Record<symbol, V>)[this.#slot] = value;
    } else if (Object.isExtensible(key)) {
      Object.defineProperty(key, this.#slot, { value, writable: true, configurable: true, enumerable: false });
    } else {
      this.#fallback ??= new WeakMap();
      this.#fallback.set(key, value);
    }
  }
}

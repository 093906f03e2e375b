/**
 * A map that holds at most `limit` entries and forgets the one used least recently first: the store behind the
 * domain's module-level caches of pure functions (the same answer for the same input, computed once while it is
 * asked for). A cache never changes an answer, only how soon it comes; the bound keeps a long-lived process (a
 * warm Lambda, the local runtime) from growing with every distinct input it has seen.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`a cache holds at least 1 entry, not ${limit}`);
  }

  /** How many entries are held. */
  get size(): number {
    return this.entries.size;
  }

  /** The value kept for `key`, now the most recently used; undefined when none is kept. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Keeps `value` for `key`, forgetting the least recently used entry when the cache is full. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

/**
 * A map that holds at most `limit` entries and forgets the oldest first: the store behind the domain's
 * module-level caches of pure functions (the same answer for the same input, computed once while it is kept). A
 * cache never changes an answer, only how soon it comes; the bound keeps a long-lived process (a warm Lambda,
 * the local runtime) from growing with every distinct input it has seen. Reading an entry does not renew it:
 * a read costs one look-up, and an entry still in use when it is forgotten is worked out once more.
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

  /** The value kept for `key`; undefined when none is kept. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Keeps `value` for `key` as the newest entry, forgetting the oldest when the cache is full. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

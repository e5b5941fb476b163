const NONE: readonly never[] = [];

/**
 * Keys to sets of members, holding a lone member as is: a Set costs ~150 B, and most keys here
 * have one member (a user's one socket, a user's one subscription), paid per socket when 100,000
 * are open. Members must not be Sets themselves.
 */
export class LeanMultiMap<K, V extends object> {
  private readonly map = new Map<K, V | Set<V>>();
  private count = 0;

  /** Adds `member` under `key`; false if it was there already. */
  add(key: K, member: V): boolean {
    const held = this.map.get(key);
    if (held === undefined) this.map.set(key, member);
    else if (held instanceof Set) {
      if (held.has(member)) return false;
      held.add(member);
    } else if (held === member) return false;
    else this.map.set(key, new Set([held, member]));
    this.count += 1;
    return true;
  }

  /** Removes `member` from `key`; false if it was not there. */
  delete(key: K, member: V): boolean {
    const held = this.map.get(key);
    if (held === undefined) return false;
    if (held instanceof Set) {
      if (!held.delete(member)) return false;
      if (held.size === 1) this.map.set(key, held.values().next().value as V);
    } else if (held === member) this.map.delete(key);
    else return false;
    this.count -= 1;
    return true;
  }

  /** The members under `key` (members added while iterating may be left out). */
  members(key: K): Iterable<V> {
    const held = this.map.get(key);
    return held === undefined ? NONE : held instanceof Set ? held : [held];
  }

  /** Keys with at least one member. */
  get keys(): number {
    return this.map.size;
  }

  /** Members under every key. */
  get size(): number {
    return this.count;
  }
}

const memos = new WeakMap<object, Map<string, unknown>>();

/**
 * One event reaches many subscribers of this instance as the same object: whatever they need to
 * re-read for it (the grade row, the new standing) is loaded once and shared. The hub keeps its
 * latest events for pollers (live/recent.ts), so a load that failed is forgotten: the next reader
 * tries again instead of getting the same error for as long as the event is kept.
 */
export function memo<T>(event: object, key: string, load: () => T): T {
  let map = memos.get(event);
  if (!map) memos.set(event, (map = new Map()));
  let value = map.get(key) as T | undefined;
  if (value === undefined) {
    map.set(key, (value = load()));
    if (value instanceof Promise) {
      const pending = value;
      pending.catch(() => map.get(key) === pending && map.delete(key));
    }
  }
  return value;
}

const memos = new WeakMap<object, Map<string, unknown>>();

/**
 * One event reaches many subscribers of this instance as the same object: whatever they need to
 * re-read for it (the grade row, the new standing) is loaded once and shared.
 */
export function memo<T>(event: object, key: string, load: () => T): T {
  let map = memos.get(event);
  if (!map) memos.set(event, (map = new Map()));
  let value = map.get(key) as T | undefined;
  if (value === undefined) map.set(key, (value = load()));
  return value;
}

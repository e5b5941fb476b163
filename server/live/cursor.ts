import { badInput } from '../errors';

/**
 * A position in the outbox: (transaction id, row id). Opaque to clients ("<xid>.<id>"), ordered
 * first by transaction then by row within it.
 */
export type Cursor = { xid: bigint; id: bigint };

export const ORIGIN: Cursor = { xid: 0n, id: 0n };

const parsed = new WeakMap<object, Cursor>();

/** The parsed cursor of an event, parsed once however many subscribers look at it. */
export function cursorOf(event: { cursor: string }): Cursor {
  let cursor = parsed.get(event);
  if (!cursor) parsed.set(event, (cursor = parseCursor(event.cursor)));
  return cursor;
}

export function formatCursor(c: Cursor): string {
  return `${c.xid}.${c.id}`;
}

export function parseCursor(value: string, field = 'after'): Cursor {
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(value);
  if (!match)
    throw badInput(`${field} is not a cursor from this API (expected the cursor of an event or liveCursor)`, field);
  return { xid: BigInt(match[1]), id: BigInt(match[2]) };
}

export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

export const isAfter = (a: Cursor, b: Cursor) => compareCursors(a, b) > 0;

export const maxCursor = (a: Cursor, b: Cursor) => (isAfter(a, b) ? a : b);

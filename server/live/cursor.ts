import { type CursorPosition, comparePositions, readCursor } from '../../shared/cursor';
import { badInput } from '../errors';

// The comparison itself lives in shared/cursor.ts (one definition for server, web app and tests);
// this module adds what only the server needs: a refusal with BAD_USER_INPUT and a parse cache.
export { formatCursor, ORIGIN } from '../../shared/cursor';

/**
 * A position in the outbox: (commit position, row id). Opaque to clients ("<pos>.<id>"), ordered
 * first by the position the writing transaction was given once it committed (outbox_commits),
 * then by row within that transaction. Cursors from before commit positions existed were
 * "<xid>.<id>": those rows kept their transaction id as position, so such cursors still work.
 */
export type Cursor = CursorPosition;

const parsed = new WeakMap<object, Cursor>();

/** The parsed cursor of an event, parsed once however many subscribers look at it. */
export function cursorOf(event: { cursor: string }): Cursor {
  let cursor = parsed.get(event);
  if (!cursor) parsed.set(event, (cursor = parseCursor(event.cursor)));
  return cursor;
}

export function parseCursor(value: string, field = 'after'): Cursor {
  const cursor = readCursor(value);
  if (!cursor)
    throw badInput(`${field} is not a cursor from this API (expected the cursor of an event or liveCursor)`, field);
  return cursor;
}

export const compareCursors = comparePositions;

export const isAfter = (a: Cursor, b: Cursor) => comparePositions(a, b) > 0;

export const maxCursor = (a: Cursor, b: Cursor) => (isAfter(a, b) ? a : b);

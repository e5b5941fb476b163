// Live cursors, the one definition shared by the server, the web app and the tests. A cursor is
// "<pos>.<id>" (docs/realtime.md §2): ordered by the commit position of the writing transaction,
// then by outbox row id within it. Cursors handed out as "<xid>.<id>" before commit positions
// existed are valid positions in the same order.
// Both parts can exceed 2^53, so they are compared as BigInts, never as strings or floats.
// Pure functions, no imports: safe in the browser and on the server alike.

/** A cursor read into its two parts. */
export type CursorPosition = { pos: bigint; id: bigint };

/** Before every event. */
export const ORIGIN: CursorPosition = { pos: 0n, id: 0n };

const CURSOR = /^(\d{1,19})\.(\d{1,19})$/;
/** Both parts are Postgres bigints: a larger number names no position (and the database would refuse it). */
const MAX_PART = 2n ** 63n - 1n;

/** The parts of `value`, or null when it is not a cursor of this API. */
export function readCursor(value: string): CursorPosition | null {
  const match = CURSOR.exec(value);
  if (!match) return null;
  const pos = BigInt(match[1]);
  const id = BigInt(match[2]);
  return pos <= MAX_PART && id <= MAX_PART ? { pos, id } : null;
}

export function formatCursor(c: CursorPosition): string {
  return `${c.pos}.${c.id}`;
}

/** Negative when a is before b, 0 when they are the same position, positive when a is after b. */
export function comparePositions(a: CursorPosition, b: CursorPosition): number {
  if (a.pos !== b.pos) return a.pos < b.pos ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/** comparePositions for cursors as they travel ("<pos>.<id>"); a missing or unreadable one sorts first. */
export function compareCursors(a: string | null | undefined, b: string | null | undefined): number {
  const pa = a ? readCursor(a) : null;
  const pb = b ? readCursor(b) : null;
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  return comparePositions(pa, pb);
}

/** a is strictly after b (anything is after a missing cursor). */
export const isAfter = (a: string | null | undefined, b: string | null | undefined) => compareCursors(a, b) > 0;

/** The later of two cursors (null when both are missing). */
export const maxCursor = (a: string | null | undefined, b: string | null | undefined): string | null =>
  (isAfter(b, a) ? b : a) ?? null;

/** The earliest of the cursors present (null when none is). */
export const minCursor = (cursors: (string | null | undefined)[]): string | null =>
  cursors.reduce<string | null>((lo, c) => (c && (!lo || compareCursors(c, lo) < 0) ? c : lo), null);

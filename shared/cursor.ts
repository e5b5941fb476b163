// Live cursors, the one definition shared by the server, the web app and the tests. A cursor is
// "<xid>.<id>" (docs/realtime.md §2): ordered by transaction id, then by outbox row id within it.
// Both parts can exceed 2^53, so they are compared as BigInts, never as strings or floats.
// Pure functions, no imports: safe in the browser and on the server alike.

/** A cursor read into its two parts. */
export type CursorPosition = { xid: bigint; id: bigint };

/** Before every event. */
export const ORIGIN: CursorPosition = { xid: 0n, id: 0n };

const CURSOR = /^(\d{1,20})\.(\d{1,20})$/;

/** The parts of `value`, or null when it is not a cursor of this API. */
export function readCursor(value: string): CursorPosition | null {
  const match = CURSOR.exec(value);
  return match ? { xid: BigInt(match[1]), id: BigInt(match[2]) } : null;
}

export function formatCursor(c: CursorPosition): string {
  return `${c.xid}.${c.id}`;
}

/** Negative when a is before b, 0 when they are the same position, positive when a is after b. */
export function comparePositions(a: CursorPosition, b: CursorPosition): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/** comparePositions for cursors as they travel ("<xid>.<id>"); a missing or unreadable one sorts first. */
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

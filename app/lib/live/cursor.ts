// Live cursors are "<xid>.<id>" (see docs/realtime.md §2): ordered by transaction id, then by
// outbox row id. Both parts can exceed 2^53, so they are compared as BigInts, never as strings
// or floats. Pure functions: no I/O.

export type Cursor = string;

function parse(c: Cursor): [bigint, bigint] | null {
  const m = /^(\d{1,20})\.(\d{1,20})$/.exec(c);
  return m ? [BigInt(m[1]), BigInt(m[2])] : null;
}

/** Negative when a < b, 0 when equal, positive when a > b. An unreadable cursor sorts first. */
export function compareCursors(a: Cursor | null | undefined, b: Cursor | null | undefined): number {
  const pa = a ? parse(a) : null;
  const pb = b ? parse(b) : null;
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  if (pa[0] !== pb[0]) return pa[0] < pb[0] ? -1 : 1;
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  return 0;
}

export const isAfter = (a: Cursor | null | undefined, b: Cursor | null | undefined) => compareCursors(a, b) > 0;

export const maxCursor = (a: Cursor | null | undefined, b: Cursor | null | undefined): Cursor | null =>
  (isAfter(b, a) ? b : a) ?? null;

export const minCursor = (cursors: (Cursor | null | undefined)[]): Cursor | null =>
  cursors.reduce<Cursor | null>((lo, c) => (c && (!lo || compareCursors(c, lo) < 0) ? c : lo), null);

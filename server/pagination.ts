import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { badInput } from './errors';
import { parseId } from './validate';

/**
 * A page cursor is a position, not a reference: the last row's created_at in microseconds since
 * the epoch (exact: Postgres keeps microseconds, JavaScript dates would round them) and its id. The
 * next page is read from that position without looking the row up, so a cursor whose row was
 * deleted meanwhile still pages on, and one made up with another list's id names no row and
 * reveals nothing about it: the query only ever reads the caller's own list.
 */
export type PagePosition = { micros: string; id: string };

/** The SQL expression giving a row's `created_at` as microseconds since the epoch (text), for its cursor. */
export const micros = (column: SQL | AnyColumn) => sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`;

/** `(created_at, id) < position`, newest first: the rows after `position` in the list's order. */
export const before = (createdAt: AnyColumn, id: AnyColumn, position: PagePosition) =>
  sql`(${createdAt}, ${id}) < ('epoch'::timestamptz + ${position.micros}::bigint * interval '1 microsecond', ${position.id}::uuid)`;

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(`${position.micros}:${position.id}`).toString('base64url');
}

const POSITION = /^(-?\d{1,18}):(.+)$/;

export function decodeCursor(cursor: string, field = 'after'): PagePosition {
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw badInput('Malformed pagination cursor: page again from the start', field);
  try {
    return { micros: match[1], id: parseId(match[2], field) };
  } catch {
    throw badInput('Malformed pagination cursor: page again from the start', field);
  }
}

export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return n;
}

/**
 * Builds a connection from rows fetched with `limit + 1` (the extra row only says there is more),
 * each with its `cursorMicros` (select `micros(createdAt)` beside the row).
 */
export function toConnection<T extends { id: string; cursorMicros: string }>(rows: T[], limit: number) {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor({ micros: node.cursorMicros, id: node.id }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

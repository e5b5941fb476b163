import { badInput } from './errors';
import { parseId } from './validate';

/**
 * Keyset cursors name the last row seen; the query compares (created_at, id) against that row's
 * own values in SQL, so microsecond timestamps are never rounded through JavaScript dates.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): string {
  try {
    return parseId(Buffer.from(cursor, 'base64url').toString(), field);
  } catch {
    throw badInput('Malformed pagination cursor', field);
  }
}

/**
 * A cursor must name a row of the list being paged. Whether its row belongs to someone else or does
 * not exist (any more) gets the same answer, so a cursor cannot probe for rows or their times.
 */
export function requireCursorRow(found: boolean, field = 'after') {
  if (!found) throw badInput(`${field} is not a cursor of this list: page again from the start`, field);
}

export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return n;
}

/** Builds a connection from rows fetched with `limit + 1` (the extra row only says there is more). */
export function toConnection<T extends { id: string }>(rows: T[], limit: number) {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

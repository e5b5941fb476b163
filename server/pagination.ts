import { badInput } from './errors';

/** Keyset cursor over (created_at, id) — stable under inserts, unlike offsets. */
export type Keyset = { createdAt: Date; id: string };

export function encodeKeyset(row: Keyset): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeKeyset(cursor: string): Keyset {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw badInput('Malformed pagination cursor', 'after');
  return { createdAt, id };
}

export function pageSize(first: number | null | undefined, fallback = 20, max = 100): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`first must be between 1 and ${max}`, 'first');
  return n;
}

/** Builds a connection from rows fetched with `limit + 1` (the extra row only says there is more). */
export function toConnection<T extends Keyset>(rows: T[], limit: number) {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeKeyset(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

import type DataLoader from 'dataloader';
import type { Context } from './context';
import { notFound } from './errors';
import { parseId } from './validate';

type Loadable<T> = { getDataloader(ctx: Context): DataLoader<string, T | null> };

/**
 * Loads a row by a client-supplied id through the request's dataloader (so the authorization
 * check and the resolver share one query): malformed → BAD_USER_INPUT, unknown → NOT_FOUND.
 */
export async function loadOrThrow<T>(
  ref: Loadable<T>,
  ctx: Context,
  rawId: string,
  field: string,
  label: string,
): Promise<T> {
  const row = await ref.getDataloader(ctx).load(parseId(rawId, field));
  if (!row) throw notFound(label);
  return row;
}

/** `loadableGroup`'s `group` is typed with the object's whole shape (id or row); our loaders always return rows. */
export const groupBy =
  <K extends string>(key: K) =>
  (row: unknown): string =>
    (row as Record<K, string>)[key];

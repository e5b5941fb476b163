import { and, eq, lt, sql } from 'drizzle-orm';
import type { ExecutionResult } from 'graphql';
import type { Database } from '../../db/client';
import { idempotencyKeys } from '../../db/schema';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export type KeyRef = { userId: string; key: string };

export type Claim =
  /** Nobody used the key (or its row expired): run the mutation in this transaction. */
  | { kind: 'fresh' }
  /** The key already answered this operation: send that answer again. */
  | { kind: 'replay'; response: ExecutionResult }
  /** The key already answered another operation. */
  | { kind: 'reused' };

const byKey = (ref: KeyRef) => and(eq(idempotencyKeys.userId, ref.userId), eq(idempotencyKeys.key, ref.key));

/**
 * Takes the key inside the mutation's transaction. While another transaction holds the same key
 * (the first request, still running, on any instance), Postgres makes this insert wait on that
 * transaction: when it commits we see its row and replay it, when it rolls back the key is ours.
 * The wait is bounded by `waitMs` (lock_timeout; Postgres raises 55P03 past it).
 */
export async function claimKey(
  tx: Transaction,
  ref: KeyRef & { fingerprint: string; operationName: string | null; ttlSeconds: number; waitMs: number },
): Promise<Claim> {
  await tx.execute(sql`select set_config('lock_timeout', ${`${ref.waitMs}ms`}, true)`);
  const claimed = await tx
    .insert(idempotencyKeys)
    .values({ userId: ref.userId, key: ref.key, fingerprint: ref.fingerprint, operationName: ref.operationName })
    .onConflictDoUpdate({
      target: [idempotencyKeys.userId, idempotencyKeys.key],
      // An expired row not yet pruned counts as absent.
      set: { fingerprint: ref.fingerprint, operationName: ref.operationName, response: null, createdAt: sql`now()` },
      setWhere: lt(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${ref.ttlSeconds})`),
    })
    .returning({ key: idempotencyKeys.key });
  // The mutation's own statements wait for locks as they always did.
  await tx.execute(sql`set local lock_timeout to default`);
  if (claimed.length > 0) return { kind: 'fresh' };

  const [row] = await tx
    .select({ fingerprint: idempotencyKeys.fingerprint, response: idempotencyKeys.response })
    .from(idempotencyKeys)
    .where(byKey(ref));
  if (!row || row.fingerprint !== ref.fingerprint) return { kind: 'reused' };
  return { kind: 'replay', response: row.response as ExecutionResult };
}

/** Keeps the answer beside the claim; both commit with the mutation or not at all. */
export async function keepResponse(tx: Transaction, ref: KeyRef, response: ExecutionResult): Promise<void> {
  await tx
    .update(idempotencyKeys)
    .set({ response: { data: response.data } })
    .where(byKey(ref));
}

/** Deletes keys older than the TTL, in batches so no statement holds many row locks for long. */
export async function pruneKeys(db: Database, ttlSeconds: number, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.execute<{ n: number }>(sql`
      with doomed as (
        select user_id, key from idempotency_keys
        where created_at < now() - make_interval(secs => ${ttlSeconds})
        limit ${batch}
      ), gone as (
        delete from idempotency_keys k using doomed d where k.user_id = d.user_id and k.key = d.key returning 1
      )
      select count(*)::int as n from gone`);
    const n = deleted[0]?.n ?? 0;
    total += n;
    if (n < batch) return total;
  }
}

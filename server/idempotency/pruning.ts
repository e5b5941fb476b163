import type { Database } from '../../db/client';
import type { Logger } from '../logger';
import { pruneKeys } from './store';

/**
 * Deletes expired idempotency keys every `intervalMs` (and once at start). Every instance runs it:
 * the deletes are idempotent and an expired row that is still there is ignored by the claim anyway.
 */
export function startKeyPruning(options: { db: Database; ttlSeconds: number; intervalMs: number; log: Logger }) {
  let running: Promise<unknown> | undefined;
  const prune = () => {
    running ??= pruneKeys(options.db, options.ttlSeconds)
      .then((n) => n > 0 && options.log.info({ deleted: n }, 'idempotency keys pruned'))
      .catch((err) => options.log.warn({ err }, 'idempotency key pruning failed'))
      .finally(() => {
        running = undefined;
      });
  };
  prune();
  const timer = setInterval(prune, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Database } from '../../db/client';
import type { Viewer } from '../auth/access';
import { badInput, userError } from '../errors';
import { fingerprintOf, IDEMPOTENCY_KEY_HEADER, mutationOf, onlyFields, parseIdempotencyKey } from './request';
import { claimKey, keepResponse, type Transaction } from './store';

export type IdempotencyConfig = {
  /** How long a key answers replays (`IDEMPOTENCY_TTL_SECONDS`). @default 86400 (24 h) */
  ttlSeconds: number;
  /** How long a duplicate waits for the first request with its key to finish (`IDEMPOTENCY_WAIT_MS`). @default 10000 */
  waitMs: number;
  /** How often expired keys are deleted (`IDEMPOTENCY_PRUNE_INTERVAL_MS`). @default 3600000 */
  pruneIntervalMs: number;
};

export type IdempotencyOptions<C> = Omit<IdempotencyConfig, 'pruneIntervalMs'> & {
  db: Database;
  /** The context a keyed mutation runs with: every read and write on its transaction. */
  bindToTransaction: (context: C, tx: Transaction) => C;
  /** Root fields whose answers are credentials, never stored: documents of only these run as usual. */
  exemptFields?: readonly string[];
};

/** Set on the HTTP response of a replayed answer (the name Stripe and others use). */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** Thrown inside the transaction to roll it back and still answer with the result. */
class RolledBack {
  constructor(readonly result: ExecutionResult) {}
}

/**
 * Every mutation sent with an `Idempotency-Key` header by a signed-in caller runs at most once per
 * key: the mutation, its outbox events and the kept answer commit in one transaction; a replay
 * (same caller, key and operation) answers what the first request answered and runs nothing, on
 * any instance, also while the first is still running (it waits, up to `waitMs`). A keyed
 * mutation is all or nothing: when its result has errors the transaction rolls back, nothing is
 * kept and the same key may be sent again. See docs/offline-writes.md.
 */
export function useIdempotentMutations<C extends { request?: Request; viewer: Viewer | null }>(
  options: IdempotencyOptions<C>,
): Plugin<C> {
  const exempt = new Set(options.exemptFields ?? ['login', 'renewToken']);
  const replayed = new WeakSet<Request>();

  return {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue as C;
      const request = context.request;
      const header = request?.headers?.get?.(IDEMPOTENCY_KEY_HEADER);
      if (!request || header === null || header === undefined) return;
      const operation = mutationOf(args.document, args.operationName);
      const viewer = context.viewer;
      // Queries are safe to repeat; without a caller the mutation is refused anyway (sign-in is exempt).
      if (!operation || !viewer || onlyFields(operation, exempt)) return;
      const key = parseIdempotencyKey(header);
      if (!key) {
        setResultAndStopExecution({
          errors: [badInput('Idempotency-Key must be 1 to 255 visible ASCII characters', 'Idempotency-Key')],
        });
        return;
      }
      const ref = { userId: viewer.id, key };
      const fingerprint = fingerprintOf(args.document, args.operationName, args.variableValues);

      setExecuteFn(async (execArgs) => {
        try {
          return await options.db.transaction(async (tx) => {
            const claim = await claimKey(tx, {
              ...ref,
              fingerprint,
              operationName: operation.name?.value ?? null,
              ttlSeconds: options.ttlSeconds,
              waitMs: options.waitMs,
            });
            if (claim.kind === 'reused') return { errors: [keyReused()] };
            if (claim.kind === 'replay') {
              replayed.add(request);
              return claim.response;
            }
            const result = await executeFn({
              ...execArgs,
              contextValue: options.bindToTransaction(execArgs.contextValue as C, tx),
            });
            if (Symbol.asyncIterator in result) throw new Error('An incremental mutation result cannot be kept');
            if (result.errors?.length) throw new RolledBack(result);
            await keepResponse(tx, ref, result);
            return result;
          });
        } catch (error) {
          // Nothing was applied, so `data` must not claim anything was.
          if (error instanceof RolledBack) return { ...error.result, data: null };
          if ((error as { code?: string })?.code === '55P03') return { errors: [keyInUse(options.waitMs)] };
          if ((error as { cause?: { code?: string } })?.cause?.code === '55P03')
            return { errors: [keyInUse(options.waitMs)] };
          throw error;
        }
      });
    },
    onResponse({ request, response }) {
      if (replayed.has(request)) response.headers.set(REPLAYED_HEADER, 'true');
    },
  };
}

const keyReused = () =>
  userError(
    'IDEMPOTENCY_KEY_REUSED',
    'This Idempotency-Key was already used for a different operation: send a new key for a new action',
    { http: { status: 422 } },
  );

const keyInUse = (waitMs: number) =>
  userError(
    'IDEMPOTENCY_KEY_IN_USE',
    `A request with this Idempotency-Key is still running after ${Math.round(waitMs / 1000)} s: retry with the same key`,
    { retryAfterSeconds: 1, http: { status: 409 } },
  );

// Writes reach the server in the order the user made them, one at a time. fetchExchange would
// send a replayed queue all at once, and the requests could then arrive in any order (say
// "Late", then "Present" for the same student, applied the other way round).
import type { Exchange, Operation } from 'urql';
import { filter, makeSubject, merge, pipe, share, tap } from 'wonka';
import { idempotencyKeyOf } from './idempotency-exchange';

export type SerialOptions = {
  /** Operations that skip the line (token renewal must not wait behind the write it unblocks). */
  bypass?: (operation: Operation) => boolean;
};

/**
 * Holds every mutation until the one before it has its answer, then forwards it; queries and
 * subscriptions pass at once. Mutations are told apart by their Idempotency-Key (operation keys
 * repeat for identical writes), so this sits below idempotencyExchange, right above fetchExchange.
 */
export function serialMutationsExchange(options: SerialOptions = {}): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const shared = share(operations$);
      const { source: released$, next: release } = makeSubject<Operation>();
      const waiting: Operation[] = [];
      let inFlight: Operation | null = null;

      const pump = () => {
        if (inFlight || waiting.length === 0) return;
        inFlight = waiting.shift()!;
        release(inFlight);
      };
      const serial = (op: Operation) => op.kind === 'mutation' && !options.bypass?.(op);

      const held$ = pipe(
        shared,
        filter((op) => {
          if (serial(op)) {
            waiting.push(op);
            pump();
            return false;
          }
          // A teardown of a write still waiting drops it; of the one in flight, frees the line.
          if (op.kind === 'teardown') {
            const i = waiting.findIndex((w) => w.key === op.key);
            if (i >= 0) waiting.splice(i, 1);
            if (inFlight?.key === op.key) {
              inFlight = null;
              queueMicrotask(pump);
            }
          }
          return true;
        }),
      );

      return pipe(
        merge([held$, released$]),
        forward,
        tap((result) => {
          const op = result.operation;
          if (!inFlight || op.kind !== 'mutation' || idempotencyKeyOf(op) !== idempotencyKeyOf(inFlight)) return;
          if (result.hasNext) return;
          inFlight = null;
          pump();
        }),
      );
    };
}

// A write refused only because the token expired (say, the tablet was offline for an hour) is
// not a refusal: renew the token and send the same write again, with the same Idempotency-Key.
import type { CombinedError, Exchange, Operation, OperationResult } from 'urql';
import { filter, makeSubject, merge, pipe, share } from 'wonka';

export type RenewOptions = {
  /** Trades the token for a fresh one; false when that did not work (then the refusal stands). */
  renew: () => Promise<boolean>;
  /** Sign-in operations, never retried here. */
  isAuthOperation: (operation: Operation) => boolean;
};

const expired = (error: CombinedError | undefined) =>
  Boolean(error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'));

/**
 * Sits right above fetchExchange, below serialMutationsExchange: the write keeps its place in the
 * line while the token is renewed (renewal is a sign-in operation, which the line lets pass).
 * Queries are not its business (urql.ts re-asks them after a renewal).
 */
export function renewExchange(options: RenewOptions): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const { source: retries$, next: retry } = makeSubject<Operation>();
      const { source: refusals$, next: refuse } = makeSubject<OperationResult>();
      const results$ = pipe(
        merge([operations$, retries$]),
        forward,
        filter((result) => {
          const op = result.operation;
          if (op.kind !== 'mutation' || op.context.renewed || options.isAuthOperation(op) || !expired(result.error))
            return true;
          void options.renew().then(
            (ok) => (ok ? retry({ ...op, context: { ...op.context, renewed: true } }) : refuse(result)),
            () => refuse(result),
          );
          return false;
        }),
        share,
      );
      return merge([results$, refusals$]);
    };
}

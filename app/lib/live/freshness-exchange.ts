// Answers older than the screen. A query read on the server before an event was applied here, and
// answered after, is older than the cache: written, it would undo that event (a poll list without
// the poll that just opened). This exchange sits between graphcache and the network; it drops such
// a result and reads the query again, at most `staleRereads` times in a row; graphcache meanwhile
// shows what it has. Any event counts, whatever its topic: a reread costs one request, a missed
// event a wrong screen.
import { type Exchange, makeOperation, type Operation } from 'urql';
import { filter, makeSubject, merge, pipe, tap } from 'wonka';

export type FreshnessOptions = {
  /** How many events have been applied so far (a counter that only grows). */
  applied: () => number;
  /**
   * How many times in a row one query is read again.
   * @default 3
   */
  staleRereads?: number;
};

export const freshnessExchange =
  ({ applied, staleRereads = 3 }: FreshnessOptions): Exchange =>
  ({ forward }) =>
  (ops$) => {
    const sentAt = new Map<number, number>();
    const rereads = new Map<number, number>();
    // Rereads go straight down the chain: the client would hold them back, since to it the
    // dropped answer's operation is still in flight.
    const reread = makeSubject<Operation>();
    return pipe(
      forward(
        pipe(
          merge([ops$, reread.source]),
          tap((op) => {
            if (op.kind === 'query') sentAt.set(op.key, applied());
            else if (op.kind === 'teardown') sentAt.delete(op.key), rereads.delete(op.key);
          }),
        ),
      ),
      filter((result) => {
        const op = result.operation;
        const at = sentAt.get(op.key);
        if (op.kind !== 'query' || at === undefined || at === applied() || result.error)
          return (rereads.delete(op.key), true);
        const n = rereads.get(op.key) ?? 0;
        if (n >= staleRereads) return (rereads.delete(op.key), true);
        rereads.set(op.key, n + 1);
        reread.next(makeOperation('query', op, { ...op.context, requestPolicy: 'network-only' }));
        return false;
      }),
    );
  };

// RESYNC: the tab's cursor is older than the server keeps (or the views were loaded before the
// starting cursor was known), so every view the tab shows is read again. trackExchange, the
// outermost exchange, remembers the active queries for that.
import { type Client, type Exchange, makeOperation, type Operation } from 'urql';
import { pipe, tap } from 'wonka';

export function createResync() {
  const activeQueries = new Map<number, Operation>();
  let client: Client | null = null;

  /** Outermost: remembers the active queries, so a RESYNC can read them all again. */
  const trackExchange: Exchange =
    ({ forward }) =>
    (ops$) =>
      forward(
        pipe(
          ops$,
          tap((op) => {
            if (op.kind === 'query') activeQueries.set(op.key, op);
            else if (op.kind === 'teardown') activeQueries.delete(op.key);
          }),
        ),
      );

  return {
    trackExchange,
    /** Called once the urql client exists (its exchanges include trackExchange). */
    attach(c: Client) {
      client = c;
    },
    /** Reads every active query again from the network. */
    resync() {
      if (!client) return;
      for (const op of activeQueries.values()) {
        client.reexecuteOperation(makeOperation('query', op, { ...op.context, requestPolicy: 'network-only' }));
      }
    },
  };
}

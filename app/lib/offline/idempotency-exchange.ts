// One Idempotency-Key per user action (docs/offline-writes.md). A mutation gets its key the first
// time it reaches this exchange and keeps it in `extensions.idempotencyKey`, which travels with
// the operation wherever it goes: graphcache's offline queue stores an operation's extensions in
// IndexedDB and replays that same operation, so a write queued offline, replayed after a reload,
// or retried after a lost response carries its first key, and the server applies it once.
import { type Exchange, makeOperation, type Operation } from 'urql';
import { map, pipe, tap } from 'wonka';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

export const idempotencyKeyOf = (operation: Operation): string | undefined =>
  operation.extensions?.idempotencyKey as string | undefined;

const newKey = () => crypto.randomUUID();

/** The operation with its key in `extensions` and in the request's headers. */
function withKey(operation: Operation, key: string): Operation {
  const base = operation.context.fetchOptions;
  return makeOperation(
    operation.kind,
    { ...operation, extensions: { ...operation.extensions, idempotencyKey: key } },
    {
      ...operation.context,
      fetchOptions: () => {
        const options = (typeof base === 'function' ? base() : base) ?? {};
        return {
          ...options,
          headers: { ...(options.headers as Record<string, string>), [IDEMPOTENCY_KEY_HEADER]: key },
        };
      },
    },
  );
}

/**
 * Sits right above fetchExchange (below graphcache, whose offline queue keeps the operations this
 * exchange returned results for). A mutation sent again with the same document and variables
 * right after a network failure — the answer was lost: applied or not, nobody knows — is the
 * same action retried (by the offline queue or by the user): it reuses that key, and the server
 * answers without applying it twice. Any other answer ends the action.
 */
export const idempotencyExchange: Exchange = ({ forward }) => {
  /** operation.key (document + variables) → the key of an attempt whose answer was lost. */
  const unresolved = new Map<number, string>();
  return (operations$) =>
    pipe(
      operations$,
      map((operation) => {
        if (operation.kind !== 'mutation') return operation;
        const key = idempotencyKeyOf(operation) ?? unresolved.get(operation.key) ?? newKey();
        return withKey(operation, key);
      }),
      forward,
      tap((result) => {
        const key = result.operation.kind === 'mutation' ? idempotencyKeyOf(result.operation) : undefined;
        if (!key) return;
        if (result.error?.networkError) unresolved.set(result.operation.key, key);
        else if (unresolved.get(result.operation.key) === key) unresolved.delete(result.operation.key);
      }),
    );
};

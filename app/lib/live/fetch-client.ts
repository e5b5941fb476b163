// The live connection's own HTTP client, for liveCursor and updates. It goes around the cache:
// polled events must reach graphcache the way pushed ones do, through deliver(). graphcache needs
// __typename on every object it writes, which it adds to the documents it sends itself; this
// client must add them too.
import { fetchExchange, formatDocument, makeOperation, mapExchange, Client as UrqlClient } from 'urql';
import type { Settings } from './options';

export function createFetchClient(options: Settings) {
  return new UrqlClient({
    url: options.url,
    exchanges: [
      mapExchange({
        onOperation: (op) => makeOperation(op.kind, { ...op, query: formatDocument(op.query) }, op.context),
      }),
      fetchExchange,
    ],
    preferGetMethod: false,
    requestPolicy: 'network-only',
    fetchOptions: options.fetchOptions,
  });
}

/** An expired token answered UNAUTHENTICATED: renew and ask again (false: not that case; throws when renewal fails). */
export async function renewedAfter(
  error: { graphQLErrors: { extensions?: Record<string, unknown> }[] } | undefined,
  renew: () => Promise<boolean>,
) {
  if (!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) return false;
  if (!(await renew())) throw error;
  return true;
}

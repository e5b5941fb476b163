'use client';
// The urql client and its provider. The client is built once per signed-in user (a new user gets
// an empty cache, so nothing of the previous user's data can show), reads the current token on
// every request, renews the token shortly before it expires and sends the browser to /login when
// the API says UNAUTHENTICATED.
//
// Live updates (next issue) plug in here, and only here:
//   1. `subscriptionUpdates` below: graphcache updaters for Subscription fields
//      (gradeChanged → invalidate/link, pollChanged → tallies, contentAvailable → banner, …).
//   2. `exchanges` in makeClient: add `subscriptionExchange({ forwardSubscription })` after
//      fetchExchange, fed by a graphql-ws client created in the browser only (never during SSR),
//      with `connectionParams: () => ({ authorization: getSession()?.token })`.
import { cacheExchange } from '@urql/exchange-graphcache';
import { Client, CombinedError, fetchExchange, mapExchange, Provider, type Exchange } from 'urql';
import { createElement, useCallback, useEffect, useMemo, type ReactNode } from 'react';
import { keys, mutationUpdates, optimistic } from './cache';
import { RenewTokenMutation } from './documents';
import { getSession, isExpired, setSession, useSession, type Session } from './session';
import type { UpdatesConfig } from '@urql/exchange-graphcache';

export const DEFAULT_API_URL = 'http://localhost:4000/graphql';
/** Renew this long before the token expires (or at 80% of a shorter lifetime). */
const RENEW_MARGIN_MS = 60_000;

/** Subscription updaters (live issue): entities update themselves; lists and deletions need code. */
const subscriptionUpdates: NonNullable<UpdatesConfig['Subscription']> = {};

export function errorCode(error: CombinedError | undefined | null): string | undefined {
  return error?.graphQLErrors.find((e) => e.extensions?.code)?.extensions?.code as string | undefined;
}

/** A message fit for a person: the API's own message for expected errors, a plain one otherwise. */
export function errorMessage(error: CombinedError | undefined | null): string {
  if (!error) return '';
  if (error.networkError) return 'Cannot reach the server. Check your connection and try again.';
  const gqlError = error.graphQLErrors[0];
  if (!gqlError) return 'Something went wrong.';
  const code = gqlError.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || !code) return 'Something went wrong on the server.';
  return gqlError.message;
}

type ClientOptions = { url: string; onUnauthenticated: () => void };

export function makeClient({ url, onUnauthenticated }: ClientOptions): Client {
  const exchanges: Exchange[] = [
    mapExchange({
      onError(error, operation) {
        // Only a signed-in request can mean "your session is gone" (a wrong password on
        // /login is answered with an error too, without any session).
        const isLogin = operation.query.definitions.some((d) => d.kind === 'OperationDefinition' && d.name?.value === 'Login');
        if (!isLogin && getSession() && errorCode(error) === 'UNAUTHENTICATED') onUnauthenticated();
      },
    }),
    cacheExchange({
      keys,
      updates: { Mutation: mutationUpdates, Subscription: subscriptionUpdates },
      optimistic,
    }),
    fetchExchange,
  ];
  return new Client({
    url,
    exchanges,
    preferGetMethod: false,
    // Until live updates land, revisiting a view shows the cache and refreshes it.
    requestPolicy: 'cache-and-network',
    fetchOptions: () => {
      const token = getSession()?.token;
      return token ? { headers: { authorization: `Bearer ${token}` } } : {};
    },
  });
}

/** Renews the token RENEW_MARGIN_MS before it expires; also checks when the tab wakes up. */
function useTokenRenewal(client: Client, session: Session | null | undefined, signOut: () => void) {
  useEffect(() => {
    if (!session) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let renewing = false;
    const lifetime = Date.parse(session.expiresAt) - Date.now();
    const margin = Math.min(RENEW_MARGIN_MS, Math.max(1_000, lifetime * 0.2));
    const renew = async () => {
      if (renewing) return;
      if (isExpired(session)) return signOut();
      renewing = true;
      const result = await client.mutation(RenewTokenMutation, {}).toPromise();
      renewing = false;
      if (result.data?.renewToken) setSession(result.data.renewToken);
      else if (errorCode(result.error) === 'UNAUTHENTICATED') signOut();
      else timer = setTimeout(renew, 5_000); // network hiccup: try again soon
    };
    const due = () => Date.parse(session.expiresAt) - margin - Date.now();
    timer = setTimeout(renew, Math.max(0, due()));
    const onWake = () => {
      if (document.visibilityState === 'visible' && due() <= 0) void renew();
    };
    document.addEventListener('visibilitychange', onWake);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onWake);
    };
  }, [client, session, signOut]);
}

export function UrqlProvider({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const session = useSession();
  const userId = session?.user.id ?? null;
  // Clearing the session is enough: the app shell sends a signed-out visitor to /login.
  const signOut = useCallback(() => setSession(null), []);
  // One client per signed-in user: signing out or in starts from an empty cache.
  const client = useMemo(
    () => makeClient({ url: apiUrl, onUnauthenticated: signOut }),
    [apiUrl, userId, signOut],
  );
  useTokenRenewal(client, session, signOut);
  return createElement(Provider, { value: client }, children);
}

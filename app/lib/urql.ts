'use client';
// The urql client and its provider. The client is built once per signed-in user (a new user gets
// an empty cache, so nothing of the previous user's data can show), reads the current token on
// every request, renews the token shortly before it expires (and whenever the API or the socket
// says it has expired) and sends the browser to /login when the API refuses the session.
//
// Live updates: a signed-in tab also gets a live connection (./live/connection.ts): one graphql-ws
// socket, one subscription per topic, resumed from the last cursor applied, with polling while
// the socket is down. Its events reach graphcache as subscription results; each topic's updater
// (./live/topics) applies them. app/lib/live/README.md describes the whole path.
import { cacheExchange, offlineExchange, type StorageAdapter } from '@urql/exchange-graphcache';
import { makeDefaultStorage } from '@urql/exchange-graphcache/default-storage';
import type { DocumentNode } from 'graphql';
import { createElement, type ReactNode, useCallback, useEffect, useMemo } from 'react';
import { Client, type CombinedError, type Exchange, fetchExchange, mapExchange, Provider } from 'urql';
import { keys, mutationUpdates, optimistic } from './cache';
import { RenewTokenMutation } from './documents';
import { createLive, type Live } from './live/connection';
import { LiveContext } from './live/react';
import { liveKeys, liveUpdates } from './live/topics';
import { idempotencyExchange } from './offline/idempotency-exchange';
import { OfflineWritesContext } from './offline/react';
import { renewExchange } from './offline/renew-exchange';
import schema from './offline/schema.json';
import { serialMutationsExchange } from './offline/serial-mutations-exchange';
import { createOfflineWrites, type OfflineWrites } from './offline/writes';
import { getSession, type Session, setSession, signOut as signOutWith, useSession } from './session';

export const DEFAULT_API_URL = 'http://localhost:4000/graphql';
/** Renew this long before the token expires (or at 80% of a shorter lifetime). */
const RENEW_MARGIN_MS = 60_000;

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

type ClientOptions = { url: string; onUnauthenticated: (reason: string) => void; viewerId?: string };
export type AppClient = {
  client: Client;
  live: Live | null;
  /** Writes made offline (signed in, in a browser): what waits, what was refused. */
  offline: OfflineWrites | null;
  renew: () => Promise<boolean>;
};

/** Days the last known data stays in IndexedDB for offline reloads. */
const CACHE_MAX_AGE_DAYS = 7;

const authHeaders = () => {
  const token = getSession()?.token;
  return token ? { headers: { authorization: `Bearer ${token}` } } : {};
};
const isAuthOperation = (query: DocumentNode) =>
  query.definitions.some(
    (d) => d.kind === 'OperationDefinition' && (d.name?.value === 'Login' || d.name?.value === 'RenewToken'),
  );

export function makeClient({ url, onUnauthenticated, viewerId }: ClientOptions): AppClient {
  let renewing: Promise<boolean> | null = null;
  /** Trades the token for a fresh one (one request at a time); false when that did not work. */
  const renew = (): Promise<boolean> =>
    (renewing ??= (async () => {
      try {
        if (!getSession()) return false;
        const result = await client.mutation(RenewTokenMutation, {}).toPromise();
        if (result.data?.renewToken) {
          setSession(result.data.renewToken);
          return true;
        }
        // Refused (session ended, account deactivated…): sign out, saying why.
        if (errorCode(result.error) === 'UNAUTHENTICATED') onUnauthenticated(errorMessage(result.error));
        return false;
      } finally {
        renewing = null;
      }
    })());

  // The live connection exists only in a signed-in browser tab, never during server rendering.
  const live =
    typeof window !== 'undefined' && viewerId
      ? createLive({
          url,
          getToken: () => getSession()?.token,
          getExpiry: () => {
            const at = getSession()?.expiresAt;
            return at ? Date.parse(at) : undefined;
          },
          renew,
          fetchOptions: authHeaders,
        })
      : null;

  // Signed in, in a browser: the cache lives in IndexedDB (one database per user, so nobody reads
  // another's data) and writes made offline wait there too, replayed when the connection returns.
  const offline =
    typeof window !== 'undefined' && typeof indexedDB !== 'undefined' && viewerId
      ? createOfflineWrites(makeDefaultStorage({ idbName: `homeroom-${viewerId}`, maxAge: CACHE_MAX_AGE_DAYS }))
      : null;
  const isAuth = (operation: { query: DocumentNode }) => isAuthOperation(operation.query);

  const retried = new Set<number>();
  const exchanges: Exchange[] = [
    ...(live ? [live.trackExchange] : []),
    mapExchange({
      onError(error, operation) {
        // Only a signed-in request can mean "your session is gone" (a wrong password on /login
        // is answered with an error too, without any session). An expired token is renewed and
        // the query asked again once; a refused renewal signs out (see renew).
        if (isAuthOperation(operation.query) || !getSession() || errorCode(error) !== 'UNAUTHENTICATED') return;
        void renew().then((ok) => {
          if (!ok || operation.kind !== 'query' || retried.has(operation.key)) return;
          retried.add(operation.key);
          setTimeout(() => retried.delete(operation.key), 10_000);
          client.reexecuteOperation(operation);
        });
      },
    }),
    // `schema` lets graphcache answer from a partly cached view (nullable fields missing) instead
    // of refusing it offline.
    (offline ? offlineExchange : cacheExchange)({
      keys: { ...keys, ...liveKeys },
      updates: { ...liveUpdates({ viewerId }), Mutation: mutationUpdates },
      optimistic,
      schema,
      storage: offline?.storage as StorageAdapter,
    }),
    ...(offline ? [offline.hydrationGate] : []),
    ...(live ? [live.freshnessExchange, live.socketExchange] : []),
    // Below the cache, in this order: see how queued writes end, give each action one
    // Idempotency-Key, send writes one at a time in order, renew an expired token and resend.
    ...(offline ? [offline.exchange] : []),
    idempotencyExchange,
    serialMutationsExchange({ bypass: isAuth }),
    renewExchange({ renew: () => renew(), isAuthOperation: isAuth }),
    fetchExchange,
  ];
  const client: Client = new Client({
    url,
    exchanges,
    preferGetMethod: false,
    // Revisiting a view shows the cache (kept current by live events) and refreshes it: entities
    // outside the live contract (new assessments, sessions, enrolments) catch up that way.
    requestPolicy: 'cache-and-network',
    fetchOptions: authHeaders,
  });
  live?.attach(client);
  return { client, live, offline, renew };
}

/** Renews the token RENEW_MARGIN_MS before it expires; also checks when the tab wakes up. */
function useTokenRenewal(renew: () => Promise<boolean>, session: Session | null | undefined) {
  useEffect(() => {
    if (!session) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lifetime = Date.parse(session.expiresAt) - Date.now();
    const margin = Math.min(RENEW_MARGIN_MS, Math.max(1_000, lifetime * 0.2));
    const run = async () => {
      // Success replaces the session (and re-runs this effect); a refusal signs out.
      if (!(await renew()) && getSession()) timer = setTimeout(run, 5_000); // network hiccup
    };
    const due = () => Date.parse(session.expiresAt) - margin - Date.now();
    timer = setTimeout(run, Math.max(0, due()));
    const onWake = () => {
      if (document.visibilityState === 'visible' && due() <= 0) void run();
    };
    document.addEventListener('visibilitychange', onWake);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onWake);
    };
  }, [renew, session]);
}

export function UrqlProvider({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const session = useSession();
  const userId = session?.user.id;
  // Clearing the session is enough: the app shell sends a signed-out visitor to /login.
  const signOut = useCallback((reason: string) => signOutWith(reason), []);
  // One client (and live connection) per signed-in user: signing out or in starts from an empty cache.
  const app = useMemo(
    () => makeClient({ url: apiUrl, onUnauthenticated: signOut, viewerId: userId }),
    [apiUrl, userId, signOut],
  );
  useEffect(() => {
    app.live?.start();
    // Back online (the socket is up again, the tab is shown): send what waits at once.
    const retry = () => app.offline?.retry();
    window.addEventListener('online', retry);
    window.addEventListener('focus', retry);
    return () => {
      app.live?.stop();
      window.removeEventListener('online', retry);
      window.removeEventListener('focus', retry);
    };
  }, [app]);
  useTokenRenewal(app.renew, session);
  return createElement(
    LiveContext.Provider,
    { value: app.live },
    createElement(
      OfflineWritesContext.Provider,
      { value: app.offline },
      createElement(Provider, { value: app.client }, children),
    ),
  );
}

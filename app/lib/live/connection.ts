// The live connection of one signed-in tab: one graphql-ws socket carrying one subscription per
// topic, the cursor of the last event applied per topic, the polling fallback while the socket is
// down, and the state the header shows. ./README.md explains the moving parts.
//
// Every event, pushed or polled, goes through deliver(): an event whose cursor is not after the
// last one applied for its topic is dropped (so it is applied at most once), the others reach
// urql as a result of the topic's subscription operation, where graphcache's updaters apply them.
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import {
  type Client,
  type Exchange,
  fetchExchange,
  formatDocument,
  makeOperation,
  mapExchange,
  type Operation,
  type OperationResult,
  subscriptionExchange,
  Client as UrqlClient,
} from 'urql';
import { filter, makeSubject, merge, pipe, tap } from 'wonka';
import { backoffDelay, createWaker } from './backoff';
import { type Cursor, isAfter, maxCursor, minCursor } from './cursor';
import {
  LiveCursorQuery,
  type LiveEvent,
  TOPICS,
  type TopicField,
  topicOfType,
  type UpdatesData,
  UpdatesQuery,
} from './documents';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';
export type LiveState = {
  status: LiveStatus;
  /** The app may query: the starting cursor is known (or could not be read: then we start anyway). */
  ready: boolean;
  /** When fresh data last arrived: an event applied, a poll answered, the socket (re)connected. */
  updatedAt: number | null;
  /** A poll is running (the refresh button shows it). */
  checking: boolean;
};
export type LiveListener = (field: TopicField, event: LiveEvent) => void;

export type LiveOptions = {
  /** The API's HTTP URL; the socket uses the same path over ws(s). */
  url: string;
  /** The current token, read at every (re)connect. */
  getToken: () => string | undefined;
  /** When the current token expires (ms since epoch), if known. */
  getExpiry: () => number | undefined;
  /** Renews the token; resolves false when that failed (the caller signs out on a refusal). */
  renew: () => Promise<boolean>;
  /** Headers (the token) for the HTTP requests: liveCursor and updates. */
  fetchOptions: () => RequestInit;
  pollIntervalMs?: number;
};

const POLL_INTERVAL_MS = 10_000;
const POLL_MAX_INTERVAL_MS = 60_000;
/** Show "Offline — polling" (and start polling) when the socket is not back within this time. */
const OFFLINE_AFTER_MS = 3_000;
/** The client pings this often; no pong within PONG_TIMEOUT_MS means the socket is dead. */
const KEEPALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;
const REFRESH_DEBOUNCE_MS = 1_500;
/** How long the app waits for the starting cursor before it shows its views anyway. */
const READY_TIMEOUT_MS = 5_000;
const POLL_PAGE = 200;
/** How many times in a row a query answered from a read older than the events applied is asked again. */
const STALE_REREADS = 3;

const toWsUrl = (url: string) =>
  new URL(url, typeof window === 'undefined' ? 'http://localhost' : window.location.href).href.replace(/^http/, 'ws');
const fieldOf = (op: Operation): TopicField | undefined => {
  const def = op.query.definitions.find((d) => d.kind === 'OperationDefinition');
  const sel = def && 'selectionSet' in def ? def.selectionSet.selections[0] : undefined;
  const name = sel && sel.kind === 'Field' ? sel.name.value : undefined;
  return TOPICS.find((t) => t.field === name)?.field;
};

export type Live = ReturnType<typeof createLive>;

export function createLive(options: LiveOptions) {
  const pollIntervalMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  const cursors = new Map<TopicField, Cursor>();
  const sinks = new Map<TopicField, Set<(result: { data: Record<string, unknown> }) => void>>();
  const listeners = new Set<LiveListener>();
  const stateListeners = new Set<() => void>();
  const activeQueries = new Map<number, Operation>();
  /** Events applied so far: a query result tells by it whether an event landed while it was read. */
  let applied = 0;
  const waker = createWaker();
  // liveCursor and updates go around the cache: polled events must reach graphcache the way
  // pushed ones do, through deliver(). graphcache needs __typename on every object it writes,
  // which it adds to the documents it sends itself; this client must add them too.
  const fetchClient = new UrqlClient({
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
  let state: LiveState = { status: 'connecting', ready: false, updatedAt: null, checking: false };
  let client: Client | null = null;
  let running = false;
  let subscriptions: { unsubscribe(): void }[] = [];
  let offlineTimer: ReturnType<typeof setTimeout> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let startTimer: ReturnType<typeof setTimeout> | undefined;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;
  let renewBeforeConnect = false;
  let tokenSent: string | undefined;
  let authCloses = 0;
  let lastRefresh = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  function setState(patch: Partial<LiveState>) {
    state = { ...state, ...patch };
    for (const l of stateListeners) l();
  }

  // ---- applying events ------------------------------------------------------------------------
  /** Applies an event once: drops it unless its cursor is after the last applied for its topic. */
  function deliver(field: TopicField, event: LiveEvent): boolean {
    const last = cursors.get(field);
    if (event.action === 'RESYNC') {
      cursors.set(field, event.cursor);
      resync();
      return true;
    }
    if (!isAfter(event.cursor, last)) return false;
    cursors.set(field, event.cursor);
    applied++;
    const data = { [field]: event };
    for (const sink of sinks.get(field) ?? []) sink({ data });
    for (const l of listeners) l(field, event);
    setState({ updatedAt: Date.now() });
    return true;
  }

  /** The cursor is older than the server keeps: every view the tab shows is read again. */
  function resync() {
    if (!client) return;
    for (const op of activeQueries.values()) {
      client.reexecuteOperation(makeOperation('query', op, { ...op.context, requestPolicy: 'network-only' }));
    }
  }

  // ---- the socket -----------------------------------------------------------------------------
  const ws: WsClient = createWsClient({
    url: () => toWsUrl(options.url),
    lazy: true,
    retryAttempts: Infinity,
    // graphql-ws retries only close events by default; a network error deserves a retry too.
    // (Close codes it deems fatal, e.g. 4500, still end the subscriptions: see subscribeTopic.)
    shouldRetry: () => true,
    keepAlive: KEEPALIVE_MS,
    retryWait: async (retries) => {
      // Closed for an expired token: renew (in connectionParams) and come back at once.
      if (authCloses === 1) return waker.sleep(50 + Math.random() * 200);
      await waker.sleep(backoffDelay(retries));
    },
    connectionParams: async () => {
      const expiry = options.getExpiry();
      if (renewBeforeConnect || (expiry !== undefined && expiry - Date.now() < 5_000)) {
        renewBeforeConnect = false;
        await options.renew();
      }
      tokenSent = options.getToken();
      return tokenSent ? { authorization: `Bearer ${tokenSent}` } : {};
    },
    // A socket that opens but is never acknowledged (a stuck proxy) is closed and retried.
    connectionAckWaitTimeout: 10_000,
    on: {
      connected: (socket) => {
        authCloses = 0;
        clearTimeout(offlineTimer);
        offlineTimer = undefined;
        stopPolling();
        setState({ status: 'live', updatedAt: Date.now() });
        void socket;
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        // No pong in time: the socket is dead (sleeping laptop, dropped Wi-Fi). Terminate it,
        // which graphql-ws treats as a retryable close.
        pongTimer = setTimeout(() => ws.terminate(), PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        const code = (event as { code?: number } | undefined)?.code;
        if (code === 4403) {
          // Refused or expired token: renew before the next connect, unless the token was
          // renewed meanwhile (the scheduled renewal ran, but this socket still had the old one).
          renewBeforeConnect = options.getToken() === tokenSent;
          authCloses += 1;
        }
        if (!running) return;
        if (state.status === 'live' || state.status === 'connecting') setState({ status: 'reconnecting' });
        offlineTimer ??= setTimeout(
          goOffline,
          typeof navigator !== 'undefined' && navigator.onLine === false ? 0 : OFFLINE_AFTER_MS,
        );
      },
    },
  });

  function goOffline() {
    offlineTimer = undefined;
    if (!running || state.status === 'live') return;
    setState({ status: 'offline' });
    startPolling();
  }

  /** One topic's subscription over the socket; resubscribes (with its latest cursor) whatever ends it. */
  function subscribeTopic(field: TopicField, query: string, sink: (result: { data: Record<string, unknown> }) => void) {
    let stopped = false;
    let failures = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let dispose: (() => void) | undefined;
    // `variables` is read each time graphql-ws sends the subscribe message, including its own
    // resubscribes after a reconnect: it always resumes from the last cursor applied.
    const payload = {
      query,
      get variables() {
        return { after: cursors.get(field) ?? null };
      },
    };
    const again = () => {
      if (stopped) return;
      failures += 1;
      retry = setTimeout(run, backoffDelay(failures - 1));
    };
    function run() {
      dispose = ws.subscribe(payload, {
        next: (result) => {
          failures = 0;
          const event = (result.data as Record<string, LiveEvent> | null | undefined)?.[field];
          if (event) deliver(field, event);
          else if (result.errors) console.warn(`[live] ${field}:`, result.errors);
        },
        // A subscription error (e.g. SLOW_CONSUMER) or a close code graphql-ws deems fatal:
        // come back from the cursor after a while, forever.
        error: (error) => {
          console.warn(`[live] ${field} ended; resubscribing`, error);
          again();
        },
        complete: () => again(),
      });
    }
    let set = sinks.get(field);
    if (!set) sinks.set(field, (set = new Set()));
    set.add(sink);
    run();
    return () => {
      stopped = true;
      clearTimeout(retry);
      dispose?.();
      set.delete(sink);
    };
  }

  // ---- the polling fallback -------------------------------------------------------------------
  let polling = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let pollErrors = 0;
  let inflight: Promise<void> | null = null;

  function startPolling() {
    if (polling) return;
    polling = true;
    pollErrors = 0;
    void tick();
  }
  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
  }
  async function tick() {
    clearTimeout(pollTimer);
    try {
      await poll();
      pollErrors = 0;
    } catch {
      pollErrors += 1;
    }
    if (!polling) return;
    const delay = Math.min(POLL_MAX_INTERVAL_MS, pollIntervalMs * 2 ** pollErrors);
    pollTimer = setTimeout(() => void tick(), delay);
  }

  /** Reads `updates` after the oldest topic cursor until nothing more is waiting; one at a time. */
  function poll(): Promise<void> {
    inflight ??= (async () => {
      setState({ checking: true });
      try {
        let after: Cursor | null = minCursor(TOPICS.map((t) => cursors.get(t.field)));
        if (!after) return void (await begin());
        for (let page = 0; page < 50; page++) {
          const result: OperationResult<UpdatesData> = await fetchClient
            .query(UpdatesQuery, { after, first: POLL_PAGE }, { requestPolicy: 'network-only' })
            .toPromise();
          if (await renewedAfter(result.error)) continue;
          if (!result.data) throw result.error ?? new Error('no data');
          const { events, cursor, hasMore, resyncRequired } = result.data.updates;
          if (resyncRequired) {
            for (const t of TOPICS) cursors.set(t.field, cursor);
            resync();
            break;
          }
          for (const event of events) {
            const topic = topicOfType(event.__typename);
            if (topic) deliver(topic.field, event);
          }
          // The page holds every event up to `cursor` this viewer may see, of every topic.
          for (const t of TOPICS) cursors.set(t.field, maxCursor(cursors.get(t.field), cursor)!);
          after = cursor;
          if (!hasMore) break;
        }
        setState({ updatedAt: Date.now() });
      } finally {
        inflight = null;
        setState({ checking: false });
      }
    })();
    return inflight;
  }

  /** An expired token answered UNAUTHENTICATED: renew and ask again (false: not that case). */
  async function renewedAfter(error: { graphQLErrors: { extensions?: Record<string, unknown> }[] } | undefined) {
    if (!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) return false;
    if (!(await options.renew())) throw error;
    return true;
  }

  // ---- start: snapshot cursor, then live ------------------------------------------------------
  let startAttempt = 0;
  let beginning: Promise<void> | null = null;
  /** Reads liveCursor before any view queries (the app shell waits for `ready`), then subscribes after it. */
  function begin(): Promise<void> {
    beginning ??= readCursorAndSubscribe().finally(() => (beginning = null));
    return beginning;
  }
  async function readCursorAndSubscribe() {
    if (!running || subscriptions.length) return;
    const read = () => fetchClient.query(LiveCursorQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    let result = await read();
    if (await renewedAfter(result.error).catch(() => false)) result = await read();
    if (!running || subscriptions.length) return;
    const cursor = result.data?.liveCursor;
    if (!cursor) {
      // The API is unreachable: let the app start (its views show their own errors) and retry.
      setState({ ready: true, status: 'offline' });
      clearTimeout(startTimer);
      startTimer = setTimeout(() => void begin(), backoffDelay(startAttempt++));
      return;
    }
    const late = state.ready; // views were loaded without a cursor: read them again
    for (const t of TOPICS) if (!cursors.get(t.field)) cursors.set(t.field, cursor);
    subscriptions = TOPICS.map((t) => client!.subscription(t.document, {}).subscribe(() => {}));
    clearTimeout(readyTimer);
    setState({ ready: true, updatedAt: Date.now() });
    if (late) resync();
  }

  // ---- urql exchanges -------------------------------------------------------------------------
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

  /**
   * Sits between graphcache and the network. A query read on the server before an event was
   * applied here, and answered after, is older than the cache: written, it would undo that event
   * (a poll list without the poll that just opened). Such a result is dropped and the query read
   * again, at most STALE_REREADS times in a row; graphcache meanwhile shows what it has.
   */
  const freshnessExchange: Exchange =
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
              if (op.kind === 'query') sentAt.set(op.key, applied);
              else if (op.kind === 'teardown') sentAt.delete(op.key), rereads.delete(op.key);
            }),
          ),
        ),
        filter((result) => {
          const op = result.operation;
          const at = sentAt.get(op.key);
          if (op.kind !== 'query' || at === undefined || at === applied || result.error)
            return (rereads.delete(op.key), true);
          const n = rereads.get(op.key) ?? 0;
          if (n >= STALE_REREADS) return (rereads.delete(op.key), true);
          rereads.set(op.key, n + 1);
          reread.next(makeOperation('query', op, { ...op.context, requestPolicy: 'network-only' }));
          return false;
        }),
      );
    };

  const socketExchange = subscriptionExchange({
    forwardSubscription: (request, operation) => ({
      subscribe: (observer) => {
        const field = fieldOf(operation);
        if (!field || !request.query) {
          observer.error?.(new Error('not a live topic'));
          return { unsubscribe() {} };
        }
        const stop = subscribeTopic(field, request.query, (result) => observer.next(result));
        return { unsubscribe: stop };
      },
    }),
  });

  // ---- browser signals ------------------------------------------------------------------------
  const tryNow = () => {
    if (!running || state.status === 'live') return;
    waker.wake();
    void poll().catch(() => {});
  };
  const onVisible = () => document.visibilityState === 'visible' && tryNow();
  const onOffline = () => {
    // The OS says the network is gone: the socket is very likely dead, do not wait for the ping.
    if (state.status === 'live') ws.terminate();
  };

  return {
    trackExchange,
    freshnessExchange,
    socketExchange,
    /** Called once the urql client exists (its exchanges include the three above). */
    attach(c: Client) {
      client = c;
    },
    start() {
      if (running) return;
      running = true;
      window.addEventListener('focus', tryNow);
      window.addEventListener('online', tryNow);
      window.addEventListener('offline', onOffline);
      document.addEventListener('visibilitychange', onVisible);
      // A slow API must not hold the whole app: after a while the views load anyway, and are
      // read again (resync) once the cursor arrives.
      readyTimer = setTimeout(() => state.ready || setState({ ready: true }), READY_TIMEOUT_MS);
      void begin();
    },
    stop() {
      running = false;
      window.removeEventListener('focus', tryNow);
      window.removeEventListener('online', tryNow);
      window.removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisible);
      for (const s of subscriptions) s.unsubscribe();
      subscriptions = [];
      stopPolling();
      clearTimeout(offlineTimer);
      clearTimeout(startTimer);
      clearTimeout(readyTimer);
      clearTimeout(pongTimer);
      clearTimeout(refreshTimer);
      refreshTimer = undefined;
      offlineTimer = undefined;
      waker.wake();
    },
    /**
     * The refresh button: retry the socket now and poll. Clicks in quick succession make one
     * request (the last click within REFRESH_DEBOUNCE_MS is served when that time is up).
     */
    refresh() {
      waker.wake();
      if (refreshTimer) return;
      const check = () => {
        refreshTimer = undefined;
        lastRefresh = Date.now();
        void poll().catch(() => {});
      };
      const wait = lastRefresh + REFRESH_DEBOUNCE_MS - Date.now();
      if (wait <= 0) check();
      else refreshTimer = setTimeout(check, wait);
    },
    getState: () => state,
    subscribe(listener: () => void) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    /** Every event applied (after deduplication), e.g. for toasts and the feed banner. */
    onEvent(listener: LiveListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

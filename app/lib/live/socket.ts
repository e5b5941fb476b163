// The graphql-ws socket: one per tab, reconnecting forever, renewing the token when the server
// closes it for an expired one, noticing a dead link by its missing pongs, and carrying one
// subscription per topic that resumes from the topic's last cursor. README.md explains the choices.
import { createClient as createWsClient } from 'graphql-ws';
import { type Operation, subscriptionExchange } from 'urql';
import { isAfter } from '../../../shared/cursor';
import { backoffDelay, createWaker } from './backoff';
import type { Delivery, TopicSink } from './delivery';
import type { Settings } from './options';
import type { StateStore } from './state';
import { COURSE_TOPICS, type LiveEvent, TOPICS, type TopicField } from './topics';
import { visibilityAware } from './visibility';

const toWsUrl = (url: string) =>
  new URL(url, typeof window === 'undefined' ? 'http://localhost' : window.location.href).href.replace(/^http/, 'ws');

/** The live topic an urql subscription operation is for (its first field), if any. */
const topicFieldOf = (op: Operation): string | undefined => {
  const def = op.query.definitions.find((d) => d.kind === 'OperationDefinition');
  const sel = def && 'selectionSet' in def ? def.selectionSet.selections[0] : undefined;
  const name = sel && sel.kind === 'Field' ? sel.name.value : undefined;
  return [...TOPICS, ...COURSE_TOPICS].find((t) => t.field === name)?.field;
};

export type SocketHooks = {
  settings: Settings;
  state: StateStore;
  delivery: Delivery;
  /** False once the connection is stopped: a close then changes nothing. */
  isRunning: () => boolean;
  /** The socket is (again) acknowledged by the server. */
  onConnected: () => void;
  /** The socket has been down for `offlineAfterMs`: time to poll. */
  onOffline: () => void;
};

export function createSocket({ settings, state, delivery, isRunning, onConnected, onOffline }: SocketHooks) {
  const waker = createWaker();
  let offlineTimer: ReturnType<typeof setTimeout> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  // The client's pings are ours, not graphql-ws's `keepAlive`: their interval follows the tab's
  // visibility, and showing the tab pings at once.
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let openSocket: WebSocket | null = null;
  // Token renewal: a 4403 close means a refused or expired token.
  let renewBeforeConnect = false;
  let tokenSent: string | undefined;
  let authCloses = 0;

  function goOffline() {
    offlineTimer = undefined;
    if (!isRunning() || state.get().status === 'live') return;
    state.set({ status: 'offline' });
    onOffline();
  }

  const ws = createWsClient({
    url: () => toWsUrl(settings.url),
    lazy: true,
    retryAttempts: Infinity,
    // graphql-ws retries only close events by default; a network error deserves a retry too.
    // (Close codes it deems fatal, e.g. 4500, still end the subscriptions: see subscribeTopic.)
    shouldRetry: () => true,
    keepAlive: 0,
    retryWait: async (retries) => {
      // Closed for an expired token: renew (in connectionParams) and come back at once.
      if (authCloses === 1) return waker.sleep(50 + Math.random() * 200);
      await waker.sleep(backoffDelay(retries));
    },
    connectionParams: async () => {
      const expiry = settings.getExpiry();
      if (renewBeforeConnect || (expiry !== undefined && expiry - Date.now() < 5_000)) {
        renewBeforeConnect = false;
        await settings.renew();
      }
      tokenSent = settings.getToken();
      return tokenSent ? { authorization: `Bearer ${tokenSent}` } : {};
    },
    connectionAckWaitTimeout: settings.connectionAckWaitTimeoutMs,
    on: {
      opened: (socket) => {
        openSocket = socket as WebSocket;
      },
      connected: () => {
        authCloses = 0;
        clearTimeout(offlineTimer);
        offlineTimer = undefined;
        onConnected();
        state.set({ status: 'live', updatedAt: Date.now() });
        schedulePing();
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        openSocket = null;
        clearTimeout(pingTimer);
        clearTimeout(pongTimer);
        const code = (event as { code?: number } | undefined)?.code;
        if (code === 4403) {
          // Refused or expired token: renew before the next connect, unless the token was
          // renewed meanwhile (the scheduled renewal ran, but this socket still had the old one).
          renewBeforeConnect = settings.getToken() === tokenSent;
          authCloses += 1;
        }
        if (!isRunning()) return;
        const { status } = state.get();
        if (status === 'live' || status === 'connecting') state.set({ status: 'reconnecting' });
        offlineTimer ??= setTimeout(
          goOffline,
          typeof navigator !== 'undefined' && navigator.onLine === false ? 0 : settings.offlineAfterMs,
        );
      },
    },
  });

  function schedulePing() {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(ping, visibilityAware(settings.keepAliveMs, settings.hiddenKeepAliveMs));
  }

  /** Pings now; no pong within pongTimeoutMs means a dead link (sleeping laptop, dropped Wi-Fi). */
  function ping() {
    if (openSocket?.readyState !== 1 /* OPEN */) return;
    openSocket.send('{"type":"ping"}');
    clearTimeout(pongTimer);
    // Terminating is a retryable close for graphql-ws: it reconnects and every topic resumes.
    pongTimer = setTimeout(() => ws.terminate(), settings.pongTimeoutMs);
    schedulePing();
  }

  /**
   * One live subscription over the socket; resubscribes whatever ends it, forever, each time with
   * the `variables` of that moment (they carry the cursor to resume after).
   */
  function subscribeLive<Value = LiveEvent>(
    field: string,
    query: string,
    variables: () => Record<string, unknown>,
    onEvent: (event: Value) => void,
  ) {
    let stopped = false;
    let failures = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let dispose: (() => void) | undefined;
    // `variables` is read each time graphql-ws sends the subscribe message, including its own
    // resubscribes after a reconnect: it always resumes from the last cursor applied.
    const payload = {
      query,
      get variables() {
        return variables();
      },
    };
    const again = () => {
      if (stopped) return;
      failures += 1;
      retry = setTimeout(run, backoffDelay(failures - 1));
    };
    function run() {
      dispose = ws.subscribe<Record<string, Value>>(payload, {
        next: (result) => {
          failures = 0;
          const event = result.data?.[field];
          if (event) onEvent(event);
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
    run();
    return () => {
      stopped = true;
      clearTimeout(retry);
      dispose?.();
    };
  }

  /** A tab-wide topic: its cursor and exactly-once delivery are the tab's (delivery.ts). */
  function subscribeTopic(field: TopicField, query: string, sink: TopicSink) {
    const removeSink = delivery.addSink(field, sink);
    const stop = subscribeLive(
      field,
      query,
      () => ({ after: delivery.cursor(field) ?? null }),
      (event) => delivery.deliver(field, event),
    );
    return () => {
      stop();
      removeSink();
    };
  }

  /**
   * A per-course topic, for as long as a view shows it: its own cursor, starting where the tab's
   * oldest topic is (every view on screen was read after it), so nothing between the view's read
   * and this subscription is missed.
   */
  function subscribeCourseTopic(field: string, query: string, courseId: string, sink: TopicSink) {
    let cursor = delivery.oldest();
    return subscribeLive(
      field,
      query,
      () => ({ courseId, after: cursor ?? null }),
      (event) => {
        if (event.action !== 'RESYNC' && !isAfter(event.cursor, cursor)) return;
        cursor = event.cursor;
        sink({ data: { [field]: event } });
      },
    );
  }

  /**
   * A subscription outside the outbox (presence, typing): no cursor and no replay — every start,
   * including the resubscribe after a reconnect, begins with the whole state, as the server sends it.
   */
  function subscribeEphemeral<Value>(
    field: string,
    query: string,
    variables: Record<string, unknown>,
    onValue: (value: Value) => void,
  ) {
    return subscribeLive<Value>(field, query, () => variables, onValue);
  }

  /** urql's way onto the socket: each topic's subscription operation becomes subscribeTopic. */
  const socketExchange = subscriptionExchange({
    forwardSubscription: (request, operation) => ({
      subscribe: (observer) => {
        const field = topicFieldOf(operation);
        const courseId = operation.variables?.courseId;
        const next = (result: { data: Record<string, unknown> }) => observer.next(result);
        if (field && request.query && TOPICS.some((t) => t.field === field))
          return { unsubscribe: subscribeTopic(field as TopicField, request.query, next) };
        if (field && request.query && typeof courseId === 'string')
          return { unsubscribe: subscribeCourseTopic(field, request.query, courseId, next) };
        observer.error?.(new Error('not a live topic'));
        return { unsubscribe() {} };
      },
    }),
  });

  return {
    socketExchange,
    subscribeEphemeral,
    /** Cuts the wait before the next reconnect attempt short. */
    wake: () => waker.wake(),
    /** Closes the socket now (graphql-ws reconnects). */
    terminate: () => ws.terminate(),
    /**
     * The tab was shown or hidden. Shown: check the link now (it may have died while the tab
     * slept; a dead socket is replaced within pongTimeoutMs). Hidden: the next ping moves out.
     */
    visibilityChanged(visible: boolean) {
      if (!openSocket) return;
      if (visible) ping();
      else schedulePing();
    },
    stop() {
      clearTimeout(offlineTimer);
      offlineTimer = undefined;
      clearTimeout(pingTimer);
      clearTimeout(pongTimer);
      waker.wake();
    },
  };
}

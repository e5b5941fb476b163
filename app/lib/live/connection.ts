// The live connection of one signed-in tab, put together from its parts (README.md explains them):
//   delivery.ts            per-topic cursors; every event applied once, to graphcache and listeners
//   socket.ts              graphql-ws: reconnect forever, token renewal, dead-link detection, topics
//   polling.ts             `updates` while the socket is down
//   snapshot.ts            liveCursor first, then the topic subscriptions after it
//   resync.ts              the active queries, read again on RESYNC
//   freshness-exchange.ts  drops query answers older than the events applied
//   state.ts               Live / Reconnecting / Offline — polling, as the header shows it
// This file adds the browser's signals (focus, visibility, online/offline), the refresh button and
// start/stop.
import type { Client } from 'urql';
import { createDelivery, type LiveListener } from './delivery';
import { createFetchClient } from './fetch-client';
import { freshnessExchange } from './freshness-exchange';
import { type LiveOptions, withDefaults } from './options';
import { createPolling } from './polling';
import { createResync } from './resync';
import { createSnapshot } from './snapshot';
import { createSocket } from './socket';
import { createStateStore } from './state';

export type { LiveListener } from './delivery';
export type { LiveOptions } from './options';
export type { LiveState, LiveStatus } from './state';

export type Live = ReturnType<typeof createLive>;

export function createLive(options: LiveOptions) {
  const settings = withDefaults(options);
  let running = false;
  const isRunning = () => running;
  const state = createStateStore();
  const resync = createResync();
  const delivery = createDelivery({ state, onResync: resync.resync });
  const fetchClient = createFetchClient(settings);
  let client: Client | null = null;
  const snapshot = createSnapshot({
    settings,
    state,
    delivery,
    fetchClient,
    client: () => client,
    isRunning,
    resync: resync.resync,
  });
  const polling = createPolling({
    settings,
    state,
    delivery,
    fetchClient,
    begin: snapshot.begin,
    resync: resync.resync,
  });
  const socket = createSocket({
    settings,
    state,
    delivery,
    isRunning,
    onConnected: polling.stop,
    onOffline: polling.start,
  });

  // ---- browser signals ------------------------------------------------------------------------
  const tryNow = () => {
    if (!running || state.get().status === 'live') return;
    socket.wake();
    void polling.poll().catch(() => {});
  };
  // Shown again: a live socket is checked at once (it may have died while the tab slept), a down
  // one is retried and `updates` polled at once — hidden, both ran slowly (visibility.ts).
  const onVisible = () => {
    if (!running) return;
    const visible = document.visibilityState === 'visible';
    if (state.get().status === 'live') socket.visibilityChanged(visible);
    else if (visible) tryNow();
  };
  const onOffline = () => {
    // The OS says the network is gone: the socket is very likely dead, do not wait for the ping.
    if (state.get().status === 'live') socket.terminate();
  };

  let lastRefresh = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  return {
    /** Outermost exchange (remembers the active queries for RESYNC). */
    trackExchange: resync.trackExchange,
    /** Between graphcache and the network (drops answers older than the events applied). */
    freshnessExchange: freshnessExchange({ applied: delivery.applied, staleRereads: settings.staleRereads }),
    /** Before fetchExchange: the topic subscriptions go over the socket. */
    socketExchange: socket.socketExchange,
    /** Called once the urql client exists (its exchanges include the three above). */
    attach(c: Client) {
      client = c;
      resync.attach(c);
    },
    start() {
      if (running) return;
      running = true;
      window.addEventListener('focus', tryNow);
      window.addEventListener('online', tryNow);
      window.addEventListener('offline', onOffline);
      document.addEventListener('visibilitychange', onVisible);
      snapshot.start();
    },
    stop() {
      running = false;
      window.removeEventListener('focus', tryNow);
      window.removeEventListener('online', tryNow);
      window.removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisible);
      snapshot.stop();
      polling.stop();
      clearTimeout(refreshTimer);
      refreshTimer = undefined;
      socket.stop();
    },
    /**
     * The refresh button: retry the socket now and poll. Clicks in quick succession make one
     * request (the last click within refreshDebounceMs is served when that time is up).
     */
    refresh() {
      socket.wake();
      if (refreshTimer) return;
      const check = () => {
        refreshTimer = undefined;
        lastRefresh = Date.now();
        void polling.poll().catch(() => {});
      };
      const wait = lastRefresh + settings.refreshDebounceMs - Date.now();
      if (wait <= 0) check();
      else refreshTimer = setTimeout(check, wait);
    },
    getState: state.get,
    subscribe: state.subscribe,
    /** A subscription outside the outbox topics (presence, typing) on the tab's socket; returns its stop. */
    ephemeral: socket.subscribeEphemeral,
    /** Every event applied (after deduplication), e.g. for toasts and the feed banner. */
    onEvent: (listener: LiveListener) => delivery.onEvent(listener),
  };
}

// Snapshot, then live, with no gap: before any view queries (the app shell waits for `ready`), the
// tab reads liveCursor; every view is then read after that cursor, and the topic subscriptions
// start `after` it, so a change committed between the read and the subscription is replayed.
import type { Client, Client as UrqlClient } from 'urql';
import { backoffDelay } from './backoff';
import type { Delivery } from './delivery';
import { LiveCursorQuery } from './documents';
import { renewedAfter } from './fetch-client';
import type { Settings } from './options';
import type { StateStore } from './state';
import { TOPICS } from './topics';

export type SnapshotHooks = {
  settings: Settings;
  state: StateStore;
  delivery: Delivery;
  fetchClient: UrqlClient;
  /** The app's urql client, whose socketExchange carries the topic subscriptions. */
  client: () => Client | null;
  isRunning: () => boolean;
  resync: () => void;
};

export function createSnapshot({ settings, state, delivery, fetchClient, client, isRunning, resync }: SnapshotHooks) {
  let subscriptions: { unsubscribe(): void }[] = [];
  let startAttempt = 0;
  let startTimer: ReturnType<typeof setTimeout> | undefined;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;
  let beginning: Promise<void> | null = null;

  /** Reads liveCursor, then subscribes to every topic after it (once; retried while the API is unreachable). */
  function begin(): Promise<void> {
    beginning ??= readCursorAndSubscribe().finally(() => (beginning = null));
    return beginning;
  }

  async function readCursorAndSubscribe() {
    if (!isRunning() || subscriptions.length) return;
    const read = () => fetchClient.query(LiveCursorQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    let result = await read();
    if (await renewedAfter(result.error, settings.renew).catch(() => false)) result = await read();
    if (!isRunning() || subscriptions.length) return;
    const cursor = result.data?.liveCursor;
    if (!cursor) {
      // The API is unreachable: let the app start (its views show their own errors) and retry.
      state.set({ ready: true, status: 'offline' });
      clearTimeout(startTimer);
      startTimer = setTimeout(() => void begin(), backoffDelay(startAttempt++));
      return;
    }
    const late = state.get().ready; // views were loaded without a cursor: read them again
    delivery.startAt(cursor);
    subscriptions = TOPICS.map((t) =>
      client()!
        .subscription(t.document, {})
        .subscribe(() => {}),
    );
    clearTimeout(readyTimer);
    state.set({ ready: true, updatedAt: Date.now() });
    if (late) resync();
  }

  return {
    begin,
    start() {
      // A slow API must not hold the whole app: after a while the views load anyway, and are
      // read again (resync) once the cursor arrives.
      readyTimer = setTimeout(() => state.get().ready || state.set({ ready: true }), settings.readyTimeoutMs);
      void begin();
    },
    stop() {
      for (const s of subscriptions) s.unsubscribe();
      subscriptions = [];
      clearTimeout(startTimer);
      clearTimeout(readyTimer);
    },
  };
}

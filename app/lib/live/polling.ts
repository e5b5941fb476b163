// The polling fallback while the socket is down: `updates(after)` from the oldest topic cursor,
// every pollIntervalMs (doubling on errors up to pollMaxIntervalMs; at most every
// hiddenPollIntervalMs while the tab is hidden), following `hasMore` at once.
// Polled events go through the same deliver() as pushed ones.
import type { OperationResult, Client as UrqlClient } from 'urql';
import type { Delivery } from './delivery';
import { type UpdatesData, UpdatesQuery } from './documents';
import { renewedAfter } from './fetch-client';
import type { Settings } from './options';
import type { StateStore } from './state';
import { topicOfType } from './topics';
import { visibilityAware } from './visibility';

/** At most this many pages in one poll (hasMore): the rest waits for the next. */
const MAX_PAGES = 50;

export type PollingHooks = {
  settings: Settings;
  state: StateStore;
  delivery: Delivery;
  fetchClient: UrqlClient;
  /** Nothing to poll from yet (no cursor): read the starting cursor instead. */
  begin: () => Promise<void>;
  resync: () => void;
};

export function createPolling({ settings, state, delivery, fetchClient, begin, resync }: PollingHooks) {
  let polling = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let pollErrors = 0;
  let inflight: Promise<void> | null = null;

  async function tick() {
    clearTimeout(pollTimer);
    try {
      await poll();
      pollErrors = 0;
    } catch {
      pollErrors += 1;
    }
    if (!polling) return;
    const delay = visibilityAware(
      Math.min(settings.pollMaxIntervalMs, settings.pollIntervalMs * 2 ** pollErrors),
      settings.hiddenPollIntervalMs,
    );
    pollTimer = setTimeout(() => void tick(), delay);
  }

  /** Reads `updates` after the oldest topic cursor until nothing more is waiting; one at a time. */
  function poll(): Promise<void> {
    inflight ??= (async () => {
      state.set({ checking: true });
      try {
        const oldest = delivery.oldest();
        if (!oldest) return void (await begin());
        let after: string = oldest;
        for (let page = 0; page < MAX_PAGES; page++) {
          const result: OperationResult<UpdatesData> = await fetchClient
            .query(UpdatesQuery, { after, first: settings.pollPageSize }, { requestPolicy: 'network-only' })
            .toPromise();
          if (await renewedAfter(result.error, settings.renew)) continue;
          if (!result.data) throw result.error ?? new Error('no data');
          const { events, cursor, hasMore, resyncRequired } = result.data.updates;
          if (resyncRequired) {
            delivery.resetTo(cursor);
            resync();
            break;
          }
          for (const event of events) {
            const topic = topicOfType(event.__typename);
            if (topic) delivery.deliver(topic.field, event);
          }
          delivery.advanceTo(cursor);
          after = cursor;
          if (!hasMore) break;
        }
        state.set({ updatedAt: Date.now() });
      } finally {
        inflight = null;
        state.set({ checking: false });
      }
    })();
    return inflight;
  }

  return {
    /** Polls now, then every pollIntervalMs until stop(). */
    start() {
      if (polling) return;
      polling = true;
      pollErrors = 0;
      void tick();
    },
    stop() {
      polling = false;
      clearTimeout(pollTimer);
    },
    /** One poll now (the refresh button, tab focus); shares a poll already running. */
    poll,
  };
}

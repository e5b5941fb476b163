import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivery } from './delivery';
import { withDefaults } from './options';
import { createPolling } from './polling';
import { createStateStore } from './state';

/** A tab whose visibility the test sets; polling reads `document.visibilityState`. */
function fakeDocument(visibilityState: 'visible' | 'hidden') {
  const doc = { visibilityState };
  vi.stubGlobal('document', doc);
  return doc;
}

/** Counts `updates` requests and answers each with nothing new. */
function countingClient() {
  const calls: number[] = [];
  const client = {
    query: () => ({
      toPromise: async () => {
        calls.push(Date.now());
        return { data: { updates: { events: [], cursor: '1.1', hasMore: false, resyncRequired: false } } };
      },
    }),
  };
  return { calls, client };
}

function startPolling(client: unknown) {
  const settings = withDefaults({
    url: 'http://localhost/graphql',
    getToken: () => 't',
    getExpiry: () => undefined,
    renew: async () => true,
    fetchOptions: () => ({}),
  });
  const state = createStateStore();
  const delivery = createDelivery({ state, onResync: () => {} });
  delivery.startAt('1.0');
  const polling = createPolling({
    settings,
    state,
    delivery,
    fetchClient: client as never,
    begin: async () => {},
    resync: () => {},
  });
  polling.start();
  return polling;
}

describe('polling follows the tab: slow while hidden', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('a visible tab polls every 10 s; a hidden one every 60 s', async () => {
    const doc = fakeDocument('visible');
    const { calls, client } = countingClient();
    const polling = startPolling(client);
    await vi.advanceTimersByTimeAsync(35_000);
    expect(calls.length).toBe(4); // at 0, 10, 20, 30 s

    doc.visibilityState = 'hidden';
    await vi.advanceTimersByTimeAsync(10_000); // the poll at 40 s schedules the next one 60 s later
    const hiddenFrom = calls.length;
    await vi.advanceTimersByTimeAsync(100_000); // to 145 s
    expect(calls.length - hiddenFrom).toBe(1); // at 100 s only, where a visible tab polls 10 times

    // Shown again: the connection polls at once (connection.ts onVisible) and the rhythm is 10 s again.
    doc.visibilityState = 'visible';
    await polling.poll();
    const shownAt = calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.length - shownAt).toBeGreaterThanOrEqual(5);
    polling.stop();
  });
});

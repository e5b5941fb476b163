import type { TestApp } from '../app';

/**
 * Counts live subscriptions registering with an instance's hub from now on:
 *
 *   const registered = newStreams(api);
 *   conn.subscribe(…); conn.subscribe(…);
 *   await registered(2); // both streams take events from here on
 *
 * (Each stream listens to its topic plus `membership` and `account`: three hub listeners per stream.)
 */
export function newStreams(app: TestApp) {
  // Listeners added, not present: a previous test's streams may still be leaving the hub.
  const added = () => app.app.live.hub.stats().added;
  const base = added();
  return async (streams: number, timeoutMs = 10_000) => {
    const { waitFor } = await import('./wait');
    await waitFor(() => added() >= base + streams * 3, { timeoutMs, what: `${streams} new live streams` });
  };
}

/**
 * Counts (and keeps) the SQL statements an instance sends whose text matches `pattern`, from now until `stop()`
 * (postgres.js calls `options.debug` for every query it sends): proof of how often something is
 * computed, whatever the number of subscribers.
 */
export function countQueries(app: TestApp, pattern: RegExp) {
  const options = app.app.db.$client.options as { debug?: unknown };
  const previous = options.debug;
  const counter = { count: 0, queries: [] as string[], stop: () => void (options.debug = previous) };
  options.debug = (_connection: number, query: string) => {
    if (!pattern.test(query)) return;
    counter.count += 1;
    counter.queries.push(query);
  };
  return counter;
}
